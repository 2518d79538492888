import { pathToFileURL } from "node:url";

import { installFunctionsCore, registeredFunctions } from "../local/host/functionsCore.js";
import { childArgument } from "./measure.js";

/** One cold import of an app entry in a fresh process, under the worker's core module as in Azure. */

const { entry } = await childArgument<{ entry: string }>();
installFunctionsCore();
const started = performance.now();
await import(pathToFileURL(entry).href);
const milliseconds = performance.now() - started;
// Answer, then let go of the channel so that the process ends by itself.
process.send?.({ milliseconds, functions: registeredFunctions().length }, () => {
  process.disconnect();
});
