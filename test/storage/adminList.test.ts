import { afterAll, beforeAll, expect, test } from "vitest";

import { shareProcess } from "../../functions/access.js";
import { listProcesses } from "../../functions/processes.js";
import { createProcessAs, processPath, startTestApp, type TestApp, users } from "../support/app.js";

/**
 * The administrators' list under Table Storage's rules (every test's storage goes through the
 * strict proxy): a page of the process mining index looks up the administrator's own roles for
 * its processes, which used to be one filter of up to 100 `RowKey eq` comparisons, over Table
 * Storage's 15. Now: queries of 14 row keys (plus the partition's comparison), side by side.
 */

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

test("an administrator's page of 32 process mining processes is one index query and three role queries, each role right", async () => {
  const roles = new Map<string, string | null>();
  for (let index = 0; index < 20; index++) {
    roles.set(await createProcessAs(app, "dave", "processMining", `Dave's ${index}`), "owner");
  }
  for (let index = 0; index < 12; index++) {
    const id = await createProcessAs(app, "alice", "processMining", `Alice's ${index}`);
    roles.set(id, null);
    if (index % 4 === 0) {
      const shared = await app.call(shareProcess, {
        method: "POST",
        as: "alice",
        ...processPath(id, "/access"),
        body: { role: "viewer", recipients: [{ id: users.dave.id }], sendInvitation: false },
      });
      expect(shared.status).toBe(200);
      roles.set(id, "viewer");
    }
  }

  const seen = new Map<string, string | null>();
  const indexPageTrips: string[][] = [];
  let path: string | undefined = "/api/processes?top=100";
  while (path !== undefined) {
    app.roundTrips.reset();
    const page: any = await app.call(listProcesses, { as: "dave", path });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    if (page.body.value.length > 0) indexPageTrips.push(app.roundTrips.kinds());
    for (const entry of page.body.value as { id: string; myRole: string | null }[]) {
      expect(seen.has(entry.id), `${entry.id} listed twice`).toBe(false);
      seen.set(entry.id, entry.myRole);
    }
    // nextLink may be relative or absolute: what matters is its path and query.
    path =
      page.body.nextLink === undefined
        ? undefined
        : ((url: URL) => `${url.pathname}${url.search}`)(
            new URL(page.body.nextLink as string, "http://localhost"),
          );
  }

  expect(seen).toEqual(roles);
  // One page of the index: its query, then ceil(32 / 14) = 3 queries of the administrator's own list.
  expect(indexPageTrips).toEqual([["GET query", "GET query", "GET query", "GET query"]]);
});
