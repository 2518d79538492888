import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { getProcess, listProcesses } from "../../functions/processes.js";
import {
  createProcessAs,
  listedEntry,
  MovableClock,
  processPath,
  startTestApp,
  type TestApp,
  users,
} from "../support/app.js";
import { disagreements, transferCalls } from "../transfer/support.js";
import { accessOf, auditOf, change, hourMs, inFuture, share, sweep } from "./support.js";

/**
 * Expiring access (issue 14 points 1 and 3) meets ownership transfer (point 2). Every write of the
 * members map carries the holders' expiries; an expired role is no role for an offer or its
 * acceptance; an owner never expires.
 */

let app: TestApp;
let calls: ReturnType<typeof transferCalls>;
const clock = new MovableClock();

beforeAll(async () => {
  app = await startTestApp({ services: { clock } });
  calls = transferCalls(app);
});
afterAll(async () => {
  await app.close();
});

async function expiriesOf(id: string): Promise<Record<string, string>> {
  return { ...(await app.services.store.read(id))?.expiries };
}

describe("a holder's expiry is kept by every write of the members map", () => {
  test("across an offer, its acceptance, another holder's role change, an offer voided by a revoke, and a reassignment", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    const carolEnds = inFuture(clock.now(), 3 * hourMs);
    await share(app, "alice", id, {
      role: "contributor",
      recipients: [{ id: users.carol.id }],
      expiresAt: carolEnds,
    });
    await calls.share("alice", id, "coOwner", "bob");
    await calls.share("alice", id, "contributor", "frank");
    const kept = async (step: string) => {
      expect((await expiriesOf(id))[users.carol.id], step).toBe(carolEnds);
      expect(await accessOf(app, "alice", id, users.carol.id), step).toMatchObject({ expiresAt: carolEnds });
      expect(await disagreements(app, id), step).toEqual([]);
    };

    expect(
      (await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false })).status,
    ).toBe(200);
    await kept("offer");
    expect((await calls.accept("bob", id)).status).toBe(204);
    await kept("accept");
    expect((await change(app, "bob", id, users.frank.id, { role: "coOwner" })).status).toBe(200);
    await kept("another holder's role change");
    expect(
      (await calls.offer("bob", id, { principalId: users.frank.id, sendInvitation: false })).status,
    ).toBe(200);
    expect((await calls.revoke("bob", id, users.frank.id)).status).toBe(204);
    expect((await app.services.store.read(id))?.pendingOwner).toBeUndefined();
    await kept("offer voided by a revoke");
    expect((await calls.reassign("dave", id, users.alice.id)).status).toBe(200);
    await kept("reassignment");

    // Kept, and still in force: it ends carol's role on time.
    clock.advance(3 * hourMs + 1_000);
    const carol = await app.call(listProcesses, { as: "carol", path: "/api/processes" });
    expect(carol.body.value.find((entry: any) => entry.id === id)).toMatchObject({
      myRole: null,
      accessRevoked: true,
    });
  });
});

describe("an expired role is no role for a transfer", () => {
  test("an offer to a holder whose role expired is 400 not_a_holder", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), 60_000),
    });
    clock.advance(61_000);
    const offered = await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect([offered.status, offered.body.code]).toEqual([400, "not_a_holder"]);
    expect((await app.services.store.read(id))?.pendingOwner).toBeUndefined();
  });

  test("a pending owner whose role expired cannot accept (403 access_revoked) and has no acceptOwnership", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }, { id: users.dave.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    expect(
      (await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false })).status,
    ).toBe(200);
    expect((await calls.get("bob", id)).body.actions).toContain("acceptOwnership");
    clock.advance(hourMs + 1_000);

    const accepted = await calls.accept("bob", id);
    expect([accepted.status, accepted.body.code]).toEqual([403, "access_revoked"]);
    expect(await listedEntry(app, "bob", id)).toMatchObject({
      myRole: null,
      accessRevoked: true,
      actions: [],
    });
    expect((await app.services.store.read(id))?.ownerId).toBe(users.alice.id);

    // dave, the administrator, still reads the process: the offer to him names a role that ended.
    expect(
      (await calls.offer("alice", id, { principalId: users.dave.id, sendInvitation: false })).status,
    ).toBe(400);
    await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.dave.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    expect(
      (await calls.offer("alice", id, { principalId: users.dave.id, sendInvitation: false })).status,
    ).toBe(200);
    clock.advance(hourMs + 1_000);
    const daveView = await calls.get("dave", id);
    expect(daveView.status).toBe(200);
    expect(daveView.body.pendingOwner).toMatchObject({ principalId: users.dave.id });
    expect(daveView.body.actions).not.toContain("acceptOwnership");
    expect(daveView.body.actions).toContain("reassignOwnership");
    const daveAccept = await calls.accept("dave", id);
    expect([daveAccept.status, daveAccept.body.code]).toEqual([403, "access_revoked"]);
    expect((await app.services.store.read(id))?.ownerId).toBe(users.alice.id);
  });

  test("the sweep's revocation of an expired pending owner voids the offer", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await share(app, "alice", id, {
      role: "contributor",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), 60_000),
    });
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    clock.advance(61_000);
    await sweep();
    const process = await app.services.store.read(id);
    expect(process?.members[users.bob.id]).toBe("revoked");
    expect(process?.pendingOwner).toBeUndefined();
    expect((await auditOf(app, "alice", id)).map((entry) => entry.operation)).toContain("expired");
  });
});

describe("an owner never expires", () => {
  test("on acceptance the new owner's expiry ends, and the previous owner, now co-owner, has none", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await share(app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), 2 * hourMs),
    });
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect((await calls.accept("bob", id)).status).toBe(204);

    expect(await expiriesOf(id)).toEqual({});
    const bob = await accessOf(app, "alice", id, users.bob.id);
    expect(bob.role).toBe("owner");
    expect(bob.expiresAt).toBeUndefined();
    const alice = await accessOf(app, "bob", id, users.alice.id);
    expect(alice.role).toBe("coOwner");
    expect(alice.expiresAt).toBeUndefined();
    expect((await listedEntry(app, "bob", id)).expiresAt).toBeUndefined();
    const soon = await app.call(listProcesses, { as: "bob", path: "/api/processes?expiringWithin=P1D" });
    expect(soon.body.value.map((entry: any) => entry.id)).not.toContain(id);

    // Past the old expiry, and after a sweep: still the owner.
    clock.advance(2 * hourMs + 1_000);
    await sweep();
    const view = await app.call(getProcess, { as: "bob", ...processPath(id) });
    expect([view.status, view.body.myRole]).toEqual([200, "owner"]);
    expect(await disagreements(app, id)).toEqual([]);
  });

  test("a reassignment to an expiring holder ends their expiry too", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.carol.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    expect((await calls.reassign("dave", id, users.carol.id)).status).toBe(200);
    expect(await expiriesOf(id)).toEqual({});
    clock.advance(hourMs + 1_000);
    expect((await calls.get("carol", id)).body.myRole).toBe("owner");
  });
});
