import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { changeRole, listAccess, listAudit, revokeAccess, shareProcess } from "../../functions/access.js";
import {
  createProcess,
  deleteProcess,
  getProcess,
  listProcesses,
  updateProcess,
} from "../../functions/processes.js";
import {
  createProcessAs,
  listedEntry,
  MovableClock,
  processPath,
  startTestApp,
  type TestApp,
  users,
} from "../support/app.js";

let app: TestApp;
const clock = new MovableClock();
/** Past the grace period that protects list rows written ahead of a commit still on its way. */
const pastGrace = 61_000;

beforeAll(async () => {
  app = await startTestApp({ services: { clock } });
});
afterAll(async () => {
  await app.close();
});

function create(as: string, kind: "taskMining" | "processMining"): Promise<string> {
  return createProcessAs(app, as, kind, "Consistency");
}

const share = (as: string, id: string, role: string, principalId: string) =>
  app.call(shareProcess, {
    method: "POST",
    as,
    ...processPath(id, "/access"),
    body: { role, recipients: [{ id: principalId }], sendInvitation: false },
  });
const put = (as: string, id: string, role: string, principalId: string) =>
  app.call(changeRole, {
    method: "PUT",
    as,
    path: `/api/processes/${id}/access/${principalId}`,
    params: { id, principalId },
    body: { role, sendInvitation: false },
  });
const revoke = (as: string, id: string, principalId: string) =>
  app.call(revokeAccess, {
    method: "DELETE",
    as,
    path: `/api/processes/${id}/access/${principalId}`,
    params: { id, principalId },
  });

function listed(as: string, id: string): Promise<any> {
  return listedEntry(app, as, id);
}

describe("concurrency", () => {
  test("40 grants, changes and revokes fired at once end in a state equal to some serial order of them", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, "coOwner", users.bob.id);
    const targets = [users.carol.id, users.erin.id, users.frank.id];
    const roles = ["viewer", "coOwner"];
    // A fixed but mixed script: alice and bob (co-owners both) act on the same people at once.
    const operations = Array.from({ length: 40 }, (_, index) => {
      const actor = index % 2 === 0 ? "alice" : "bob";
      const target = targets[index % targets.length]!;
      const role = roles[Math.floor(index / 3) % roles.length]!;
      switch (index % 4) {
        case 0:
        case 1:
          return () => share(actor, id, role, target);
        case 2:
          return () => put(actor, id, role, target);
        default:
          return () => revoke(actor, id, target);
      }
    });
    const results = await Promise.all(operations.map((operation) => operation()));

    // Every answer is a definite outcome: done, or refused for the state it met (never a 5xx).
    for (const result of results) expect([200, 204, 404]).toContain(result.status);
    const changesReported = results.filter(
      (result) =>
        result.status === 204 ||
        (result.status === 200 && (result.body.status ?? result.body.value?.[0]?.status) !== "unchanged"),
    ).length;

    const audit = await app.call(listAudit, {
      as: "alice",
      path: `/api/processes/${id}/audit?top=100`,
      params: { id },
    });
    const changes = audit.body.value.filter((entry: any) => entry.operation !== "created");
    // One audit entry per change that happened (plus bob's first grant).
    expect(changes.length).toBe(changesReported + 1);

    // Replaying the audit trail in order, each change saw the state the previous one left.
    const state = new Map<string, string | undefined>();
    for (const entry of changes) {
      const before = state.get(entry.principalId);
      expect(entry.previousRole).toBe(before);
      state.set(entry.principalId, entry.operation === "revoked" ? undefined : entry.role);
    }

    // ...and the end state is exactly that replay: in the access list, and in each user's list.
    const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    const holders = new Map<string, string>(
      access.body.value.map((entry: any) => [entry.principalId, entry.role]),
    );
    expect(holders.size).toBe(access.body.value.length);
    for (const target of targets) expect(holders.get(target)).toBe(state.get(target));
    for (const alias of ["carol", "erin", "frank"] as const) {
      const entry = await listed(alias, id);
      const role = state.get(users[alias].id);
      if (role === undefined) expect(entry).toMatchObject({ myRole: null, accessRevoked: true });
      else expect(entry).toMatchObject({ myRole: role, accessRevoked: false });
    }
  });
});

describe("storage round trips", () => {
  test("an authorized read of one process is one point read", async () => {
    const id = await create("alice", "taskMining");
    app.roundTrips.reset();
    const response = await app.call(getProcess, { as: "alice", ...processPath(id) });
    expect(response.status).toBe(200);
    expect(app.roundTrips.kinds()).toEqual(["GET point"]);
  });

  test("a page of the caller's processes is one query", async () => {
    // Tables of its own: other tests here leave revoked rows, which the list checks (one read each).
    const fresh = await startTestApp();
    try {
      for (const name of ["One", "Two", "Three"]) {
        await fresh.call(createProcess, {
          method: "POST",
          path: "/api/processes",
          as: "carol",
          body: { kind: "taskMining", name },
        });
      }
      fresh.roundTrips.reset();
      const response = await fresh.call(listProcesses, { as: "carol", path: "/api/processes?top=2" });
      expect(response.body.value).toHaveLength(2);
      expect(fresh.roundTrips.kinds()).toEqual(["GET query"]);
    } finally {
      await fresh.close();
    }
  });

  test("a share with 3 recipients is one read, one repair record, one write per recipient's list and one transaction", async () => {
    const id = await create("alice", "processMining");
    app.roundTrips.reset();
    const response = await app.call(shareProcess, {
      method: "POST",
      as: "alice",
      ...processPath(id, "/access"),
      body: {
        role: "viewer",
        recipients: [{ id: users.bob.id }, { id: users.carol.id }, { id: users.erin.id }],
        sendInvitation: false,
      },
    });
    expect(response.status).toBe(200);
    expect(app.roundTrips.kinds().sort()).toEqual([
      "GET point",
      "POST batch",
      // The repair record of the rows written ahead of the commit.
      "POST other",
      "PUT point",
      "PUT point",
      "PUT point",
    ]);
  });

  test("a refused token costs no storage call at all", async () => {
    const id = await create("alice", "taskMining");
    const tokens = [
      undefined,
      "not-a-jwt",
      await app.identity.token("alice", { audience: "api://someone-else" }),
      await app.identity.token("alice", { tenantId: "00000000-0000-4000-8000-000000000000" }),
      await app.identity.token("alice", { expiresIn: -600 }),
      await app.identity.token("alice", { scope: "Process.Read" }),
      await app.identity.token("alice", { appOnly: true }),
    ];
    for (const token of tokens) {
      app.roundTrips.reset();
      const response = await app.call(getProcess, {
        ...processPath(id),
        as: null,
        ...(token !== undefined && { token }),
      });
      expect([401, 403]).toContain(response.status);
      expect(app.roundTrips.count).toBe(0);
    }
    const missing = await app.call(getProcess, { ...processPath(id), as: null });
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
  });
});

describe("crash between writes", () => {
  const isBatch = (request: { url: string; method: string }) =>
    request.method === "POST" && new URL(request.url).pathname.endsWith("/$batch");

  test("a share whose commit fails grants nothing and takes back the list row it wrote ahead", async () => {
    const id = await create("alice", "taskMining");
    app.faults.crashOn(isBatch);
    const crashed = await share("alice", id, "contributor", users.bob.id);
    expect(crashed.status).toBe(500);
    expect(app.logs.some((line) => line.includes("injected crash"))).toBe(true);

    const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(access.body.value.map((entry: any) => entry.principalId)).toEqual([users.alice.id]);
    // The failed write removed the row it wrote ahead of its commit: only a crash leaves one (the sweep's).
    expect(await listed("bob", id)).toBeUndefined();
    expect((await app.call(getProcess, { as: "bob", ...processPath(id) })).status).toBe(404);
  });

  test("a recipient who opens a process while its share is on its way keeps it in their list", async () => {
    const id = await create("alice", "processMining");
    const held = app.faults.holdNext(isBatch);
    const sharing = share("alice", id, "coOwner", users.bob.id);
    await held.reached;
    // Between the list write and the commit: bob sees it listed, and opening it is refused...
    expect(await listed("bob", id)).toMatchObject({ myRole: "coOwner" });
    expect((await app.call(getProcess, { as: "bob", ...processPath(id) })).status).toBe(404);
    held.release();
    expect((await sharing).status).toBe(200);
    // ...but his list row survives, and the commit makes it true.
    expect(await listed("bob", id)).toMatchObject({ myRole: "coOwner", accessRevoked: false });
    expect((await app.call(getProcess, { as: "bob", ...processPath(id) })).body.myRole).toBe("coOwner");
  });

  test("a grant never leaves the recipient without the process: the list row is written before the commit", async () => {
    const id = await create("alice", "taskMining");
    app.faults.crashOn((request) => request.method === "PUT");
    const crashed = await share("alice", id, "contributor", users.bob.id);
    expect(crashed.status).toBe(500);
    // The list write failed, so the commit never ran: nothing half-written anywhere.
    const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(access.body.value).toHaveLength(1);
    expect(await listed("bob", id)).toBeUndefined();
    // Retried, it lands whole.
    expect((await share("alice", id, "contributor", users.bob.id)).status).toBe(200);
    expect(await listed("bob", id)).toMatchObject({ myRole: "contributor" });
  });

  test("a revoke that crashes before its commit leaves the role, and the user's list is healed from it", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, "viewer", users.carol.id);
    app.faults.crashOn(isBatch);
    const crashed = await revoke("alice", id, users.carol.id);
    expect(crashed.status).toBe(500);
    // The role is still there; the list row said "revoked" ahead of a commit that never came.
    const open = await app.call(getProcess, { as: "carol", ...processPath(id) });
    expect(open.body.myRole).toBe("viewer");
    clock.advance(pastGrace);
    expect(await listed("carol", id)).toMatchObject({ myRole: "viewer", accessRevoked: false });
  });

  test("a create whose commit fails leaves no process and takes back the owner's list row", async () => {
    app.faults.crashOn(isBatch);
    const crashed = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "erin",
      body: { kind: "taskMining", name: "Never made" },
    });
    expect(crashed.status).toBe(500);
    const list = await app.call(listProcesses, { as: "erin", path: "/api/processes?top=100" });
    expect(list.body.value.find((entry: any) => entry.name === "Never made")).toBeUndefined();
  });

  test("a process mining create whose commit fails takes back its index row from administrators' lists", async () => {
    app.faults.crashOn(isBatch);
    const crashed = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      body: { kind: "processMining", name: "Ghost" },
    });
    expect(crashed.status).toBe(500);
    expect((await allListed("dave")).find((entry) => entry.name === "Ghost")).toBeUndefined();
  });
});

describe("races with a delete", () => {
  const isBatch = (request: { url: string; method: string }) =>
    request.method === "POST" && new URL(request.url).pathname.endsWith("/$batch");

  test("a share whose process is deleted before its commit answers 404, not 500", async () => {
    const id = await create("alice", "taskMining");
    const held = app.faults.holdNext(isBatch);
    const sharing = share("alice", id, "contributor", users.bob.id);
    await held.reached;
    expect(
      (await app.call(deleteProcess, { method: "DELETE", as: "alice", ...processPath(id) })).status,
    ).toBe(204);
    held.release();
    const shared = await sharing;
    expect([shared.status, shared.body.code]).toEqual([404, "not_found"]);
  });

  test("a PATCH whose process is deleted before its commit answers 404, not 500", async () => {
    const id = await create("alice", "taskMining");
    const held = app.faults.holdNext(isBatch);
    const patching = app.call(updateProcess, {
      method: "PATCH",
      as: "alice",
      ...processPath(id),
      body: { name: "Late" },
    });
    await held.reached;
    expect(
      (await app.call(deleteProcess, { method: "DELETE", as: "alice", ...processPath(id) })).status,
    ).toBe(204);
    held.release();
    const patched = await patching;
    expect([patched.status, patched.body.code]).toEqual([404, "not_found"]);
  });
});

describe("continuation tokens", () => {
  test("a token the service did not issue is refused as bad input, never a 500", async () => {
    const id = await create("alice", "taskMining");
    const audit = await app.call(listAudit, {
      as: "alice",
      path: `/api/processes/${id}/audit?continuationToken=garbage`,
      params: { id },
    });
    expect([audit.status, audit.body.code]).toEqual([400, "invalid_continuation_token"]);
    const inner = Buffer.from(JSON.stringify({ phase: "own", token: "not-base64-json" })).toString(
      "base64url",
    );
    const list = await app.call(listProcesses, {
      as: "alice",
      path: `/api/processes?continuationToken=${inner}`,
    });
    expect([list.status, list.body.code]).toEqual([400, "invalid_continuation_token"]);
  });
});

describe("revoked callers with an environment right", () => {
  test("a revoked user who also holds the share privilege is told access_revoked, not forbidden", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, "viewer", users.frank.id);
    await revoke("alice", id, users.frank.id);
    const read = await app.call(getProcess, { as: "frank", ...processPath(id) });
    expect([read.status, read.body.code]).toEqual([403, "access_revoked"]);
    // The share right itself still works.
    expect((await share("frank", id, "viewer", users.carol.id)).status).toBe(200);
  });
});

async function allListed(as: string): Promise<any[]> {
  const seen: any[] = [];
  let path: string | undefined = "/api/processes?top=100";
  while (path !== undefined) {
    const page: any = await app.call(listProcesses, { as, path });
    seen.push(...page.body.value);
    path = page.body.nextLink;
  }
  return seen;
}
