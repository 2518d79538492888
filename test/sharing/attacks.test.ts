import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import azureFunctions from "@azure/functions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { listAccess, listAudit, revokeAccess, shareProcess } from "../../functions/access.js";
import {
  deleteProcess,
  getProcess,
  listProcesses,
  repairLists,
  updateProcess,
} from "../../functions/processes.js";
import { DevDirectory, readDevDirectory } from "../../shared/directory/devDirectory.js";
import {
  createProcessAs,
  listedEntry,
  MovableClock,
  processPath,
  startTestApp,
  type TestApp,
  users,
} from "../support/app.js";

/**
 * Issue 11's findings, each reproduced through the app's handlers against Azurite: every write
 * re-authorizes on the row it commits on, paging tokens are sealed, and nothing a failed or
 * crashed write left ahead of its commit stays wrong for long.
 */

const { InvocationContext } = azureFunctions;

/** Counts UserProcesses writes in flight at once (a rename's fan-out). */
class InFlight {
  current = 0;
  peak = 0;
  readonly policy: PipelinePolicy = {
    name: "inFlight",
    sendRequest: async (request, next) => {
      const counted = request.method !== "GET" && /UserProcesses/.test(new URL(request.url).pathname);
      if (counted) this.peak = Math.max(this.peak, ++this.current);
      try {
        return await next(request);
      } finally {
        if (counted) this.current--;
      }
    },
  };
}

const bundled = readDevDirectory();
const extra = Array.from({ length: 40 }, (_, index) => ({
  alias: `user${index}`,
  id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
  displayName: `User ${index}`,
  email: `user${index}@contoso.example`,
  userType: "Member" as const,
  accountEnabled: true,
  appRoles: [],
}));
let app: TestApp;
const clock = new MovableClock();
const inFlight = new InFlight();
/** Past the grace period of rows written ahead of a commit, and past the repair sweep's window. */
const pastRepairWindow = 2 * 60_000;

beforeAll(async () => {
  app = await startTestApp({
    services: {
      clock,
      directory: new DevDirectory({ ...bundled, users: [...bundled.users, ...extra] }),
      storagePolicies: [inFlight.policy],
    },
  });
});
afterAll(async () => {
  await app.close();
});

const isBatch = (request: { url: string; method: string }) =>
  request.method === "POST" && new URL(request.url).pathname.endsWith("/$batch");

const isTombstoneRemoval = (request: { url: string; method: string }) =>
  request.method === "DELETE" &&
  decodeURIComponent(new URL(request.url).pathname).includes("RowKey='process'");

const isListWrite = (request: { url: string; method: string }) =>
  request.method !== "GET" && /UserProcesses/.test(new URL(request.url).pathname);

/**
 * A crash between a write's list rows and its commit: the commit fails, and so does everything
 * the request would do after it (putting its rows back), as when the host dies there.
 */
function crashBeforeCommit(): void {
  let crashed = false;
  app.faults.crashOn((request) => isBatch(request) && (crashed = true));
  app.faults.crashOn((request) => crashed && isListWrite(request), 100);
}

const share = (as: string, id: string, role: string, recipients: unknown[], sendInvitation = false) =>
  app.call(shareProcess, {
    method: "POST",
    as,
    ...processPath(id, "/access"),
    body: { role, recipients, sendInvitation },
  });
const revoke = (as: string, id: string, principalId: string) =>
  app.call(revokeAccess, {
    method: "DELETE",
    as,
    path: `/api/processes/${id}/access/${principalId}`,
    params: { id, principalId },
  });
const remove = (as: string, id: string) =>
  app.call(deleteProcess, { method: "DELETE", as, ...processPath(id) });
const rename = (as: string, id: string, name: string) =>
  app.call(updateProcess, { method: "PATCH", as, ...processPath(id), body: { name } });

async function allListed(as: string): Promise<any[]> {
  const seen: any[] = [];
  let path: string | undefined = "/api/processes?top=100";
  while (path !== undefined) {
    const page: any = await app.call(listProcesses, { as, path });
    expect(page.status).toBe(200);
    seen.push(...page.body.value);
    path = page.body.nextLink;
  }
  return seen;
}

async function holders(id: string): Promise<Map<string, string>> {
  const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
  return new Map(access.body.value.map((entry: any) => [entry.principalId, entry.role]));
}

async function runRepairSweep(): Promise<void> {
  await repairLists(
    {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: "", next: "", lastUpdated: "" },
    },
    new InvocationContext({ invocationId: "repair", functionName: "repairLists" }),
  );
}

describe("finding 1: sealed continuation tokens", () => {
  test("a hand-made index token does not list process mining processes to a non-administrator", async () => {
    await createProcessAs(app, "carol", "processMining", "Secret mining");
    const forged = Buffer.from(JSON.stringify({ phase: "index", kind: "processMining" })).toString(
      "base64url",
    );
    const response = await app.call(listProcesses, {
      as: "alice",
      path: `/api/processes?continuationToken=${forged}`,
    });
    expect([response.status, response.body.code]).toEqual([400, "invalid_continuation_token"]);
  });

  test("a continuation token is bound to its caller and refused when altered", async () => {
    await createProcessAs(app, "dave", "processMining", "Dave one");
    await createProcessAs(app, "dave", "processMining", "Dave two");
    const first = await app.call(listProcesses, { as: "dave", path: "/api/processes?top=1" });
    expect(first.body.nextLink).toBeDefined();
    const token = new URL(first.body.nextLink, "http://x").searchParams.get("continuationToken") ?? "";
    // The administrator's own next page works...
    expect((await app.call(listProcesses, { as: "dave", path: first.body.nextLink })).status).toBe(200);
    // ...another caller's use of it does not, nor does an altered one.
    const foreign = await app.call(listProcesses, { as: "alice", path: first.body.nextLink });
    expect([foreign.status, foreign.body.code]).toEqual([400, "invalid_continuation_token"]);
    const flipped = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    const altered = await app.call(listProcesses, {
      as: "dave",
      path: `/api/processes?top=1&continuationToken=${flipped}`,
    });
    expect([altered.status, altered.body.code]).toEqual([400, "invalid_continuation_token"]);
  });

  test("an administrator's index-phase token is refused once the caller is no longer an administrator", async () => {
    const first = await app.call(listProcesses, { as: "dave", path: "/api/processes?top=100" });
    let next: string | undefined = first.body.nextLink;
    let indexLink: string | undefined;
    // Page on to the index phase (the own list ends first).
    while (next !== undefined && indexLink === undefined) {
      const page: any = await app.call(listProcesses, { as: "dave", path: next });
      if (page.body.value.some((entry: any) => entry.name === "Secret mining")) indexLink = next;
      next = page.body.nextLink;
    }
    expect(indexLink).toBeDefined();
    const demoted = await app.call(listProcesses, {
      token: await app.identity.token("dave", { roles: [] }),
      path: indexLink ?? "",
    });
    expect([demoted.status, demoted.body.code]).toEqual([400, "invalid_continuation_token"]);
  });

  test("a continuation token goes stale after a day", async () => {
    await createProcessAs(app, "erin", "taskMining", "Erin one");
    await createProcessAs(app, "erin", "taskMining", "Erin two");
    const first = await app.call(listProcesses, { as: "erin", path: "/api/processes?top=1" });
    clock.advance(25 * 60 * 60 * 1000);
    const stale = await app.call(listProcesses, { as: "erin", path: first.body.nextLink });
    expect([stale.status, stale.body.code]).toEqual([400, "invalid_continuation_token"]);
  });

  test("a continuation token of one process's audit is refused on another's", async () => {
    const one = await createProcessAs(app, "alice", "taskMining", "Audit one");
    const two = await createProcessAs(app, "alice", "taskMining", "Audit two");
    await share("alice", one, "contributor", [{ id: users.bob.id }]);
    const page = await app.call(listAudit, {
      as: "alice",
      path: `/api/processes/${one}/audit?top=1`,
      params: { id: one },
    });
    const token = new URL(page.body.nextLink, "http://x").searchParams.get("continuationToken") ?? "";
    const other = await app.call(listAudit, {
      as: "alice",
      path: `/api/processes/${two}/audit?top=1&continuationToken=${token}`,
      params: { id: two },
    });
    expect([other.status, other.body.code]).toEqual([400, "invalid_continuation_token"]);
  });
});

describe("finding 2: duplicate recipients", () => {
  test("the same person twice in one share is granted once and the later occurrence fails as duplicate_recipient", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    const response = await share("alice", id, "contributor", [
      { id: users.bob.id },
      { email: users.bob.email },
    ]);
    expect(response.status).toBe(207);
    expect(response.body.value.map((entry: any) => entry.status)).toEqual(["granted", "failed"]);
    expect(response.body.value[1].error.code).toBe("duplicate_recipient");
    expect((await holders(id)).get(users.bob.id)).toBe("contributor");
    expect(await listedEntry(app, "bob", id)).toMatchObject({ myRole: "contributor" });
  });
});

describe("finding 3: every attempt re-authorizes", () => {
  test("a co-owner revoked while their share retries a lost race cannot finish it", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await share("alice", id, "coOwner", [{ id: users.bob.id }]);
    const held = app.faults.holdNext(isBatch);
    const sharing = share("bob", id, "coOwner", [{ id: users.carol.id }]);
    await held.reached;
    expect((await revoke("alice", id, users.bob.id)).status).toBe(204);
    held.release();
    const result = await sharing;
    expect([result.status, result.body.code]).toEqual([403, "access_revoked"]);
    expect((await holders(id)).has(users.carol.id)).toBe(false);
    // Finding 10 too: what the refused share wrote ahead is gone at once.
    expect(await listedEntry(app, "carol", id)).toBeUndefined();
  });

  test("a large share re-authorizes every group: a revoke between groups stops the rest", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share("alice", id, "coOwner", [{ id: users.bob.id }]);
    let batches = 0;
    const held = app.faults.holdNext((request) => isBatch(request) && ++batches === 2);
    const sharing = share(
      "bob",
      id,
      "viewer",
      extra.map((user) => ({ id: user.id })),
    );
    await held.reached;
    expect((await revoke("alice", id, users.bob.id)).status).toBe(204);
    held.release();
    const result = await sharing;
    expect(result.status).toBe(403);
    const after = await holders(id);
    // The first group committed while bob held the right; none after it did.
    expect(extra.filter((user) => after.has(user.id)).length).toBeLessThan(extra.length);
  });
});

describe("finding 6: the member limit counts current holders", () => {
  test("revoked members do not use up the member limit", async () => {
    const many = Array.from({ length: 505 }, (_, index) => ({
      alias: `m${index}`,
      id: `00000000-0000-4000-9000-${String(index).padStart(12, "0")}`,
      displayName: `M ${index}`,
      email: `m${index}@contoso.example`,
      userType: "Member" as const,
      accountEnabled: true,
      appRoles: [],
    }));
    const big = await startTestApp({
      services: { directory: new DevDirectory({ ...bundled, users: [...bundled.users, ...many] }) },
    });
    try {
      const id = await createProcessAs(big, "alice", "taskMining");
      const grant = (from: number, to: number) =>
        big.call(shareProcess, {
          method: "POST",
          as: "alice",
          ...processPath(id, "/access"),
          body: {
            role: "contributor",
            recipients: many.slice(from, to).map((user) => ({ id: user.id })),
            sendInvitation: false,
          },
        });
      // The owner and 499 holders: the limit.
      for (let start = 0; start < 499; start += 100)
        expect((await grant(start, Math.min(start + 100, 499))).status).toBe(200);
      const over = await grant(499, 500);
      expect([over.status, over.body.code]).toEqual([409, "too_many_members"]);
      // Ten leave; ten others now fit, and those who left keep their revoked entry.
      for (const user of many.slice(0, 10)) {
        const left = await big.call(revokeAccess, {
          method: "DELETE",
          as: "alice",
          path: `/api/processes/${id}/access/${user.id}`,
          params: { id, principalId: user.id },
        });
        expect(left.status).toBe(204);
      }
      expect((await grant(499, 505)).status).toBe(200);
      expect((await grant(10, 14)).status).toBe(200);
    } finally {
      await big.close();
    }
  });
});

describe("finding 7: a rename racing a delete", () => {
  test("a rename racing a delete does not bring the process back into administrators' lists", async () => {
    const id = await createProcessAs(app, "alice", "processMining", "Before");
    const held = app.faults.holdNext(
      (request) => request.method !== "GET" && /ProcessIndex/.test(new URL(request.url).pathname),
    );
    const renaming = rename("alice", id, "After");
    await held.reached;
    expect((await remove("alice", id)).status).toBe(204);
    held.release();
    await renaming;
    expect((await allListed("dave")).map((entry) => entry.id)).not.toContain(id);
  });
});

describe("finding 8: a resumable delete", () => {
  test("a delete that fails half-way is gone for everyone, and a retry finishes it", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await share("alice", id, "contributor", [{ id: users.bob.id }]);
    await app.call(shareProcess, {
      method: "POST",
      as: "alice",
      ...processPath(id, "/access"),
      body: { role: "coOwner", recipients: [{ id: users.carol.id }], message: "A personal note" },
    });
    app.faults.crashOn(isBatch);
    expect((await remove("alice", id)).status).toBe(500);
    expect((await app.call(getProcess, { as: "bob", ...processPath(id) })).status).toBe(404);
    expect((await remove("alice", id)).status).toBe(204);
    const rows: unknown[] = [];
    for await (const row of app.services.store.tables.processes.listEntities({
      queryOptions: { filter: `PartitionKey eq '${id}'` },
    })) {
      rows.push(row);
    }
    expect(rows).toEqual([]);
    expect(await listedEntry(app, "bob", id)).toBeUndefined();
    expect(await listedEntry(app, "alice", id)).toBeUndefined();
    expect((await remove("alice", id)).status).toBe(404);
  });
});

describe("finding 8: a delete's steps are bounded", () => {
  test("a process too large for one request's budget is gone at once, and the sweep finishes its rows", async () => {
    const small = await startTestApp({
      services: {
        clock,
        directory: new DevDirectory({ ...bundled, users: [...bundled.users, ...extra] }),
        deleteBudget: { rowsPerStep: 10, stepsPerRun: 2 },
      },
    });
    try {
      const id = await createProcessAs(small, "alice", "processMining");
      const shared = await small.call(shareProcess, {
        method: "POST",
        as: "alice",
        ...processPath(id, "/access"),
        body: {
          role: "viewer",
          recipients: [users.bob, ...extra].map((user) => ({ id: user.id })),
          sendInvitation: false,
        },
      });
      expect(shared.status).toBe(200);
      const partition = async () => {
        const rows: unknown[] = [];
        for await (const row of small.services.store.tables.processes.listEntities({
          queryOptions: { filter: `PartitionKey eq '${id}'` },
        })) {
          rows.push(row);
        }
        return rows.length;
      };
      const before = await partition();
      expect(
        (await small.call(deleteProcess, { method: "DELETE", as: "alice", ...processPath(id) })).status,
      ).toBe(204);
      // One request removed at most its budget; the process is gone for everyone all the same.
      const left = await partition();
      expect(left).toBeGreaterThan(0);
      expect(before - left).toBeLessThanOrEqual(20);
      expect((await small.call(getProcess, { as: "alice", ...processPath(id) })).status).toBe(404);
      expect(await listedEntry(small, "bob", id)).toBeUndefined();
      // Each sweep goes on from there until nothing is left.
      clock.advance(pastRepairWindow);
      for (let sweep = 0; sweep < 10 && (await partition()) > 0; sweep++) {
        await small.services.useCases.repairLists.sweep();
      }
      expect(await partition()).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe("finding 9: lists converge", () => {
  test("a stray row of an administrator is healed when the administrator opens the process", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    crashBeforeCommit();
    expect((await share("alice", id, "viewer", [{ id: users.dave.id }])).status).toBe(500);
    app.faults.clear();
    expect((await allListed("dave")).find((listed) => listed.id === id)).toMatchObject({ myRole: "viewer" });
    clock.advance(pastRepairWindow);
    expect((await app.call(getProcess, { as: "dave", ...processPath(id) })).body.myRole).toBeNull();
    const entry = (await allListed("dave")).find((listed) => listed.id === id);
    expect(entry).toMatchObject({ myRole: null });
  });

  test("a stray row of a user with the share privilege is healed when a refusal meets it", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    crashBeforeCommit();
    expect((await share("alice", id, "contributor", [{ id: users.frank.id }])).status).toBe(500);
    app.faults.clear();
    expect(await listedEntry(app, "frank", id)).toMatchObject({ myRole: "contributor" });
    clock.advance(pastRepairWindow);
    const refused = await app.call(getProcess, { as: "frank", ...processPath(id) });
    expect([refused.status, refused.body.code]).toEqual([403, "forbidden"]);
    expect(await listedEntry(app, "frank", id)).toBeUndefined();
  });

  test("a list row a crashed share left is repaired by the sweep once past the grace period, with no user action", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    crashBeforeCommit();
    expect((await share("alice", id, "contributor", [{ id: users.bob.id }])).status).toBe(500);
    app.faults.clear();
    expect(await listedEntry(app, "bob", id)).toMatchObject({ myRole: "contributor" });
    // Young, it may be a commit on its way: the sweep leaves it.
    await runRepairSweep();
    expect(await listedEntry(app, "bob", id)).toMatchObject({ myRole: "contributor" });
    // Past the 60-second grace (whatever minute it fell in), the next sweep repairs it.
    clock.advance(61_000);
    await runRepairSweep();
    expect(await listedEntry(app, "bob", id)).toBeUndefined();
  });

  test("a rename whose fan-out crashed reaches every holder's list through the sweep", async () => {
    const id = await createProcessAs(app, "alice", "taskMining", "Old name");
    await share("alice", id, "contributor", [{ id: users.bob.id }]);
    app.faults.crashOn(isListWrite, 2);
    // The rename itself is committed; the lists it did not reach yet are the sweep's to finish.
    expect((await rename("alice", id, "New name")).status).toBe(200);
    expect(await listedEntry(app, "bob", id)).toMatchObject({ name: "Old name" });
    app.faults.clear();
    clock.advance(pastRepairWindow);
    await runRepairSweep();
    expect(await listedEntry(app, "bob", id)).toMatchObject({ name: "New name" });
    expect(await listedEntry(app, "alice", id)).toMatchObject({ name: "New name" });
  });
});

describe("finding 10: a failed write removes what it wrote ahead", () => {
  test("a share answered 404 because the process was deleted meanwhile leaves no list rows behind", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    const held = app.faults.holdNext(isBatch);
    const sharing = share("alice", id, "contributor", [{ id: users.bob.id }]);
    await held.reached;
    expect((await remove("alice", id)).status).toBe(204);
    held.release();
    expect((await sharing).status).toBe(404);
    expect(await listedEntry(app, "bob", id)).toBeUndefined();
  });

  test("a share that loses to a delete still sweeping the partition leaves no list rows behind", async () => {
    // The model test found it: the delete's tombstone still stands when the refused share puts
    // back what it wrote ahead, and finishing the delete removed only the members' rows.
    const id = await createProcessAs(app, "alice", "taskMining");
    const heldShare = app.faults.holdNext(isBatch);
    const sharing = share("alice", id, "contributor", [{ id: users.bob.id }]);
    await heldShare.reached;
    const heldTombstone = app.faults.holdNext(isTombstoneRemoval);
    const removing = remove("alice", id);
    await heldTombstone.reached;
    heldShare.release();
    expect((await sharing).status).toBe(404);
    heldTombstone.release();
    expect((await removing).status).toBe(204);
    expect(await listedEntry(app, "bob", id)).toBeUndefined();
  });
});

describe("finding 13: a rename's fan-out is bounded", () => {
  test("a rename fans out to list rows with bounded concurrency", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    expect(
      (
        await share(
          "alice",
          id,
          "viewer",
          extra.map((user) => ({ id: user.id })),
        )
      ).status,
    ).toBe(200);
    inFlight.peak = 0;
    expect((await rename("alice", id, "Renamed for all")).status).toBe(200);
    expect(inFlight.peak).toBeGreaterThan(1);
    expect(inFlight.peak).toBeLessThanOrEqual(8);
  });
});
