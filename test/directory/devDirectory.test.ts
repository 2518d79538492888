import { DevDirectory } from "../../shared/directory/devDirectory.js";
import { directoryContract } from "./directoryContract.js";

directoryContract("dev", () => DevDirectory.fromFile());
