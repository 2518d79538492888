import { afterAll, beforeAll, expect, test } from "vitest";

import { createDirectory } from "../../shared/composition.js";
import { loadConfig } from "../../shared/config.js";
import { startTestGraph, type TestGraph } from "../support/graph.js";
import { sampleSettings } from "../support/settings.js";

/** The composition root picks the Graph adapter in graph mode, loading it (and msal) on first use. */
let testGraph: TestGraph;

beforeAll(async () => {
  testGraph = await startTestGraph();
});
afterAll(async () => {
  await testGraph.close();
});

test("in graph mode the directory is Microsoft Graph, reached only when first asked", async () => {
  const config = {
    ...loadConfig({ ...sampleSettings(), DIRECTORY_MODE: "graph" }),
    directory: testGraph.config,
  };
  const directory = createDirectory(config);
  expect(testGraph.graph.tokenRequests()).toHaveLength(0);
  const found = await directory.search("bob", 5);
  expect(found.map((user) => user.email)).toEqual(["bob@contoso.example"]);
  expect(testGraph.graph.tokenRequests()).toHaveLength(1);
  const [resolved] = await directory.resolve([{ email: "carol@contoso.example" }]);
  expect(resolved?.outcome).toBe("user");
});

test("in dev mode the directory is the JSON file of dev users", async () => {
  const directory = createDirectory(loadConfig(sampleSettings()));
  expect((await directory.search("erin", 5)).map((user) => user.userType)).toEqual(["Guest"]);
});
