import { afterAll, beforeAll, expect, test } from "vitest";

import { type E2eHost, startE2eHost } from "../support/e2e.js";

/** The end-to-end tier's app reaches its tables through the strict storage proxy, like every other test. */

let host: E2eHost;

beforeAll(async () => {
  host = await startE2eHost();
});
afterAll(async () => {
  await host.stop();
});

test("the end-to-end host's table requests all go through the strict storage proxy", async () => {
  const before = host.strictStorage.forwarded;
  const created = await host.call<{ id: string }>("/api/processes", {
    as: "alice",
    method: "POST",
    body: { kind: "taskMining", name: "Through the proxy" },
  });
  expect(created.status).toBe(201);
  const read = await host.call(`/api/processes/${created.body.id}`, { as: "alice" });
  expect(read.status).toBe(200);
  // A create writes the owner's list row and one transaction at least; the read is one point read.
  expect(host.strictStorage.forwarded - before).toBeGreaterThanOrEqual(3);
  expect(host.strictStorage.refusals).toEqual([]);
});
