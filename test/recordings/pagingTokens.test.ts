import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { listAudit } from "../../functions/access.js";
import { listProcesses } from "../../functions/processes.js";
import { processPath, startTestApp, type TestApp, users } from "../support/app.js";
import { recordingsApi } from "./support.js";

/**
 * The recordings list hands out the same sealed continuation tokens as every other list: bound
 * to the caller, the route and the process, so that a token is good for nothing but the next
 * page of the list it came from.
 */

let app: TestApp;
let api: ReturnType<typeof recordingsApi>;

beforeAll(async () => {
  app = await startTestApp();
  api = recordingsApi(app);
});
afterAll(async () => {
  await app.close();
});

/** A task mining process owned by alice with `count` recordings, bob a co-owner, carol a contributor. */
async function processWithRecordings(count: number): Promise<string> {
  const id = await api.createProcess("alice", "taskMining");
  await api.share("alice", id, "coOwner", users.bob.id);
  await api.share("alice", id, "contributor", users.carol.id);
  for (let index = 0; index < count; index++) await api.added("carol", id, { name: `Take ${index}` });
  return id;
}

/** The continuation token of `who`'s first page of `top`. */
async function firstToken(who: string, processId: string, top = 2): Promise<string> {
  const page = await api.list(who, processId, `?top=${top}`);
  expect(page.status).toBe(200);
  expect(page.body.nextLink).toBeDefined();
  return new URL(page.body.nextLink, "http://localhost").searchParams.get("continuationToken") ?? "";
}

function expectInvalidToken(response: { status: number; body: any }, what: string): void {
  expect([response.status, response.body?.code], what).toEqual([400, "invalid_continuation_token"]);
}

describe("recordings continuation tokens are sealed", () => {
  test("the caller's own next page works with the token it was given", async () => {
    const id = await processWithRecordings(3);
    const token = await firstToken("carol", id);
    const next = await api.list("carol", id, `?top=2&continuationToken=${token}`);
    expect(next.status).toBe(200);
    expect(next.body.value).toHaveLength(1);
  });

  test("a hand-made token wrapping a storage continuation is refused with invalid_continuation_token", async () => {
    const id = await processWithRecordings(3);
    // What the storage service's continuation looks like to the SDK: base64 of its next keys.
    const storage = Buffer.from(JSON.stringify({ nextPartitionKey: id, nextRowKey: "recording|0" })).toString(
      "base64",
    );
    for (const forged of [
      Buffer.from(JSON.stringify({ page: storage })).toString("base64url"),
      Buffer.from(JSON.stringify({ phase: "index", kind: "taskMining" })).toString("base64url"),
      "not-ours",
    ]) {
      expectInvalidToken(await api.list("alice", id, `?continuationToken=${forged}`), forged);
    }
  });

  test("another user's token is refused, though both may read the process", async () => {
    const id = await processWithRecordings(3);
    const carols = await firstToken("carol", id);
    expectInvalidToken(await api.list("bob", id, `?top=2&continuationToken=${carols}`), "bob with carol's");
  });

  test("a token of one process's recordings is refused on another process", async () => {
    const one = await processWithRecordings(3);
    const two = await processWithRecordings(3);
    const token = await firstToken("carol", one);
    expectInvalidToken(await api.list("carol", two, `?top=2&continuationToken=${token}`), "other process");
  });

  test("an altered token is refused", async () => {
    const id = await processWithRecordings(3);
    const token = await firstToken("carol", id);
    const flipped = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    expectInvalidToken(await api.list("carol", id, `?top=2&continuationToken=${flipped}`), "altered");
  });

  test("tokens of other routes are refused on the recordings list, and its tokens on theirs", async () => {
    const id = await processWithRecordings(3);
    await api.createProcess("alice", "taskMining");
    const processes = await app.call(listProcesses, { as: "alice", path: "/api/processes?top=1" });
    const processesToken =
      new URL(processes.body.nextLink, "http://x").searchParams.get("continuationToken") ?? "";
    const audit = await app.call(listAudit, {
      as: "alice",
      ...processPath(id, "/audit"),
      path: `/api/processes/${id}/audit?top=1`,
    });
    const auditToken = new URL(audit.body.nextLink, "http://x").searchParams.get("continuationToken") ?? "";
    expectInvalidToken(
      await api.list("alice", id, `?top=2&continuationToken=${processesToken}`),
      "processes",
    );
    expectInvalidToken(await api.list("alice", id, `?top=2&continuationToken=${auditToken}`), "audit");

    const recordingsToken = await firstToken("alice", id);
    expectInvalidToken(
      await app.call(listAudit, {
        as: "alice",
        ...processPath(id, "/audit"),
        path: `/api/processes/${id}/audit?top=1&continuationToken=${recordingsToken}`,
      }),
      "recordings token on audit",
    );
  });

  test("a token stops working once its holder's access is revoked", async () => {
    const id = await processWithRecordings(3);
    const token = await firstToken("carol", id);
    expect((await api.revoke("alice", id, users.carol.id)).status).toBe(204);
    const after = await api.list("carol", id, `?top=2&continuationToken=${token}`);
    expect([after.status, after.body.code]).toEqual([403, "access_revoked"]);
  });
});
