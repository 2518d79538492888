import { afterAll, beforeAll } from "vitest";

import { createGraphDirectory } from "../../shared/directory/graphDirectory.js";
import { startTestGraph, type TestGraph } from "../support/graph.js";
import { directoryContract } from "./directoryContract.js";

let testGraph: TestGraph;
beforeAll(async () => {
  testGraph = await startTestGraph();
});
afterAll(async () => {
  await testGraph.close();
});

directoryContract("Microsoft Graph", () => createGraphDirectory(testGraph.config));
