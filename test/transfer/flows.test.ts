import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

import { listAudit } from "../../functions/access.js";
import { createProcessAs, drain, type InvitationApp, startInvitationApp } from "../invitations/support.js";
import { listedEntry, processPath, type TestApp, users } from "../support/app.js";
import { disagreements, transferCalls } from "./support.js";

/**
 * Ownership transfer (issue 14, point 2) through HTTP against Azurite: the owner offers, the
 * person offered accepts or declines, the owner withdraws; a system administrator reassigns. The
 * offer's email goes through the invitation pipeline; the audit records each step.
 */

let it: InvitationApp;
let app: TestApp;
let calls: ReturnType<typeof transferCalls>;

beforeAll(async () => {
  it = await startInvitationApp();
  app = it.app;
  calls = transferCalls(app);
});
afterAll(async () => {
  await it.close();
});
beforeEach(() => {
  it.mailbox.mailbox.reset();
});

async function auditOf(id: string, as = "alice"): Promise<{ operation: string; principalId?: string }[]> {
  const audit = await app.call(listAudit, { as, ...processPath(id, "/audit?top=100") });
  expect(audit.status).toBe(200);
  return audit.body.value;
}

describe("offer, accept", () => {
  test("the owner offers a task mining process to a contributor, who accepts: they own it, the owner is a co-owner", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "contributor", "bob");
    const offered = await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect(offered.status).toBe(200);
    expect(offered.body).toMatchObject({ principalId: users.bob.id, offeredBy: users.alice.id });

    const bobView = await calls.get("bob", id);
    expect(bobView.body.pendingOwner).toMatchObject({ principalId: users.bob.id, offeredBy: users.alice.id });
    expect(bobView.body.actions).toContain("acceptOwnership");
    const aliceView = await calls.get("alice", id);
    expect(aliceView.body.actions).toContain("transferOwnership");
    expect(aliceView.body.actions).not.toContain("acceptOwnership");
    const access = await calls.access("alice", id);
    const bobEntry = access.body.value.find((entry: any) => entry.principalId === users.bob.id);
    expect(bobEntry).toMatchObject({ role: "contributor", ownershipOffer: { offeredBy: users.alice.id } });

    expect((await calls.accept("bob", id)).status).toBe(204);
    const after = await calls.get("bob", id);
    expect(after.body).toMatchObject({ ownerId: users.bob.id, myRole: "owner" });
    expect(after.body.pendingOwner).toBeUndefined();
    expect(after.body.actions).toContain("transferOwnership");
    expect((await calls.get("alice", id)).body).toMatchObject({ myRole: "coOwner" });
    expect(await listedEntry(app, "bob", id)).toMatchObject({ myRole: "owner" });
    expect(await listedEntry(app, "alice", id)).toMatchObject({ myRole: "coOwner" });
    const roles = (await calls.access("bob", id)).body.value.map((entry: any) => [
      entry.principalId,
      entry.role,
    ]);
    expect(roles).toEqual([
      [users.bob.id, "owner"],
      [users.alice.id, "coOwner"],
    ]);
    expect(await disagreements(app, id)).toEqual([]);
    const operations = (await auditOf(id, "bob")).map((entry) => [entry.operation, entry.principalId]);
    expect(operations).toEqual(
      expect.arrayContaining([
        ["ownershipOffered", users.bob.id],
        ["ownershipAccepted", users.bob.id],
        ["changed", users.alice.id],
      ]),
    );
  });

  test("on a process mining process a viewer becomes owner with every owner action; the old owner keeps co-owner's", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await calls.share("alice", id, "viewer", "carol");
    await calls.offer("alice", id, { principalId: users.carol.id, sendInvitation: false });
    expect((await calls.accept("carol", id)).status).toBe(204);
    const carol = await calls.get("carol", id);
    expect(carol.body.myRole).toBe("owner");
    expect(carol.body.actions).toEqual(expect.arrayContaining(["editDataflow", "analyze", "delete"]));
    const alice = await calls.get("alice", id);
    expect(alice.body.actions).toEqual(["read", "viewAnalytics", "update", "viewAccess", "share"]);
    // The new owner's rights follow: the old owner cannot offer it any more.
    const again = await calls.offer("alice", id, { principalId: users.carol.id });
    expect([again.status, again.body.code]).toEqual([403, "forbidden"]);
    expect(await disagreements(app, id)).toEqual([]);
  });

  test("the offer's email reaches the person offered through the invitation pipeline", async () => {
    const id = await createProcessAs(app, "alice", "taskMining", "Expense claims");
    await calls.share("alice", id, "coOwner", "bob");
    await calls.offer("alice", id, { principalId: users.bob.id, message: "Over to you" });
    await drain(it.queue);
    const mails = it.mailbox.mailbox.list();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).toEqual([expect.objectContaining({ address: users.bob.email })]);
    expect(mails[0]?.subject).toContain("take over ownership");
    expect(mails[0]?.plainText).toContain("Over to you");
    expect(mails[0]?.plainText).toContain(`http://localhost:3000/processes/${id}`);
  });

  test("an offer withdrawn before its email went out sends nothing", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "carol");
    await calls.offer("alice", id, { principalId: users.carol.id });
    expect((await calls.withdraw("alice", id)).status).toBe(204);
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(0);
  });

  test("the offer's email keeps the invitation cooldown: a person mailed moments ago is not mailed again", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await app.call((await import("../../functions/access.js")).shareProcess, {
      method: "POST",
      as: "alice",
      ...processPath(id, "/access"),
      body: { role: "viewer", recipients: [{ id: users.erin.id }] },
    });
    await calls.offer("alice", id, { principalId: users.erin.id });
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(it.mailbox.mailbox.list()[0]?.subject).not.toContain("ownership");
  });
});

describe("decline, withdraw, replace", () => {
  test("the person offered declines: nothing changes hands and the offer is gone", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "bob");
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect((await calls.decline("bob", id)).status).toBe(204);
    const view = await calls.get("alice", id);
    expect(view.body).toMatchObject({ ownerId: users.alice.id, myRole: "owner" });
    expect(view.body.pendingOwner).toBeUndefined();
    const accept = await calls.accept("bob", id);
    expect([accept.status, accept.body.code]).toEqual([409, "no_ownership_offer"]);
    expect((await auditOf(id)).map((entry) => entry.operation)).toContain("ownershipDeclined");
  });

  test("accept after withdraw is refused and changes nothing", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "bob");
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect((await calls.withdraw("alice", id)).status).toBe(204);
    const accept = await calls.accept("bob", id);
    expect([accept.status, accept.body.code]).toEqual([409, "no_ownership_offer"]);
    expect((await calls.get("bob", id)).body.myRole).toBe("coOwner");
    const withdrawAgain = await calls.withdraw("alice", id);
    expect([withdrawAgain.status, withdrawAgain.body.code]).toEqual([409, "no_ownership_offer"]);
    expect((await auditOf(id)).map((entry) => entry.operation)).toContain("ownershipWithdrawn");
  });

  test("a new offer replaces the one waiting: only the latest person may accept", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "bob", "carol");
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    await calls.offer("alice", id, { principalId: users.carol.id, sendInvitation: false });
    const bob = await calls.accept("bob", id);
    expect([bob.status, bob.body.code]).toEqual([403, "forbidden"]);
    expect((await calls.accept("carol", id)).status).toBe(204);
    expect((await calls.get("carol", id)).body.myRole).toBe("owner");
  });

  test("a replayed accept is refused once the first took effect", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "contributor", "bob");
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect((await calls.accept("bob", id)).status).toBe(204);
    const replay = await calls.accept("bob", id);
    expect([replay.status, replay.body.code]).toEqual([409, "no_ownership_offer"]);
    expect(await disagreements(app, id)).toEqual([]);
  });

  test("revoking the person offered voids the offer; re-granted, they cannot accept the old one", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "bob");
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect((await calls.revoke("alice", id, users.bob.id)).status).toBe(204);
    expect((await calls.get("alice", id)).body.pendingOwner).toBeUndefined();
    await calls.share("alice", id, "coOwner", "bob");
    const accept = await calls.accept("bob", id);
    expect([accept.status, accept.body.code]).toEqual([409, "no_ownership_offer"]);
  });

  test("the person offered leaving voids the offer", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await calls.share("alice", id, "viewer", "bob");
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    expect((await calls.revoke("bob", id, users.bob.id)).status).toBe(204);
    expect((await calls.get("alice", id)).body.pendingOwner).toBeUndefined();
    const accept = await calls.accept("bob", id);
    expect([accept.status, accept.body.code]).toEqual([403, "access_revoked"]);
  });
});

describe("forged callers and bad input", () => {
  test("a co-owner cannot offer ownership; a stranger cannot even learn the process exists", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "bob", "carol");
    const coOwner = await calls.offer("bob", id, { principalId: users.carol.id });
    expect([coOwner.status, coOwner.body.code]).toEqual([403, "forbidden"]);
    const stranger = await calls.offer("erin", id, { principalId: users.erin.id });
    expect([stranger.status, stranger.body.code]).toEqual([404, "not_found"]);
    const withdraw = await calls.withdraw("bob", id);
    expect(withdraw.status).toBe(403);
    expect((await calls.get("alice", id)).body.pendingOwner).toBeUndefined();
  });

  test("someone else cannot accept or decline an offer made to another holder", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "bob", "carol");
    await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
    for (const as of ["carol", "alice"]) {
      const accept = await calls.accept(as, id);
      expect([accept.status, accept.body.code]).toEqual([403, "forbidden"]);
      const decline = await calls.decline(as, id);
      expect([decline.status, decline.body.code]).toEqual([403, "forbidden"]);
    }
    const stranger = await calls.accept("erin", id);
    expect([stranger.status, stranger.body.code]).toEqual([404, "not_found"]);
    // The administrator may reassign, but may not take someone else's offer.
    const admin = await calls.accept("dave", id);
    expect(admin.status).toBe(403);
    expect((await calls.get("alice", id)).body).toMatchObject({
      ownerId: users.alice.id,
      pendingOwner: { principalId: users.bob.id },
    });
  });

  test("ownership is offered only to a current holder, never to the owner, a revoked user or a stranger", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "coOwner", "bob");
    await calls.revoke("alice", id, users.bob.id);
    const cases = [
      [users.alice.id, "cannot_transfer_to_owner"],
      [users.bob.id, "not_a_holder"],
      [users.carol.id, "not_a_holder"],
    ] as const;
    for (const [principalId, code] of cases) {
      const response = await calls.offer("alice", id, { principalId });
      expect([response.status, response.body.code]).toEqual([400, code]);
    }
    const malformed = await calls.offer("alice", id, { principalId: "bob" });
    expect([malformed.status, malformed.body.code]).toEqual([400, "validation_failed"]);
    const unknownField = await calls.offer("alice", id, { principalId: users.bob.id, direct: true });
    expect([unknownField.status, unknownField.body.code]).toEqual([400, "validation_failed"]);
    expect((await auditOf(id)).map((entry) => entry.operation)).not.toContain("ownershipOffered");
  });
});

describe("an administrator reassigns ownership (offboarding)", () => {
  test("dave gives a task mining process to a holder: the previous owner stays as co-owner", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await calls.share("alice", id, "contributor", "carol");
    await calls.offer("alice", id, { principalId: users.carol.id, sendInvitation: false });
    const reassigned = await calls.reassign("dave", id, users.bob.id);
    expect(reassigned.status).toBe(200);
    expect(reassigned.body).toMatchObject({
      ownerId: users.bob.id,
      previousOwnerId: users.alice.id,
      previousOwnerRole: "coOwner",
      status: "updated",
    });
    const bob = await calls.get("bob", id);
    expect(bob.body).toMatchObject({ ownerId: users.bob.id, myRole: "owner" });
    // The waiting offer was the previous owner's: it is void.
    expect(bob.body.pendingOwner).toBeUndefined();
    expect((await calls.accept("carol", id)).status).toBe(409);
    expect(await listedEntry(app, "bob", id)).toMatchObject({ myRole: "owner" });
    expect(await disagreements(app, id)).toEqual([]);
    expect((await auditOf(id, "bob")).map((entry) => entry.operation)).toContain("ownershipReassigned");
    // A task mining administrator still has nothing else there.
    expect((await calls.get("dave", id)).status).toBe(403);
  });

  test("the owner and a co-owner may not reassign; a group, a disabled or unknown user cannot own", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await calls.share("alice", id, "coOwner", "bob");
    for (const as of ["alice", "bob"]) {
      const response = await calls.reassign(as, id, users.carol.id);
      expect([response.status, response.body.code]).toEqual([403, "forbidden"]);
    }
    const gina = await calls.reassign("dave", id, users.gina.id);
    expect([gina.status, gina.body.code]).toEqual([400, "principal_disabled"]);
    const nobody = await calls.reassign("dave", id, "00000000-0000-4000-8000-000000000001");
    expect([nobody.status, nobody.body.code]).toEqual([400, "principal_not_found"]);
    const same = await calls.reassign("dave", id, users.alice.id);
    expect(same.body.status).toBe("unchanged");
    expect(await disagreements(app, id)).toEqual([]);
  });
});
