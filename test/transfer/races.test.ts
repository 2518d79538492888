import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { createProcessAs, startTestApp, type TestApp, users } from "../support/app.js";
import { disagreements, transferCalls } from "./support.js";

/**
 * Ownership transfer against concurrent writes on the same process (issue 14: "a transfer accepted
 * while the old owner revokes someone"). A commit is held at the storage request that carries it
 * (FaultInjector.holdNext) while the other write runs to its end; then released. Whatever the
 * order, the ETag on the process row makes one of them read again, and every stored view agrees.
 */

let app: TestApp;
let calls: ReturnType<typeof transferCalls>;

beforeAll(async () => {
  app = await startTestApp();
  calls = transferCalls(app);
});
afterAll(async () => {
  await app.close();
});

const isBatch = (request: PipelineRequest): boolean => new URL(request.url).pathname.endsWith("/$batch");
const batchWith =
  (text: string) =>
  (request: PipelineRequest): boolean =>
    isBatch(request) && typeof request.body === "string" && request.body.includes(text);

async function offered(kind: "taskMining" | "processMining" = "taskMining"): Promise<string> {
  const id = await createProcessAs(app, "alice", kind);
  await calls.share("alice", id, kind === "taskMining" ? "contributor" : "viewer", "bob", "carol");
  const offer = await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
  expect(offer.status).toBe(200);
  return id;
}

describe("accept racing a revoke", () => {
  test("the old owner revokes someone while the acceptance is on its way to its commit: both land", async () => {
    const id = await offered();
    const held = app.faults.holdNext(batchWith("ownershipAccepted"));
    const accepting = calls.accept("bob", id);
    await held.reached;
    expect((await calls.revoke("alice", id, users.carol.id)).status).toBe(204);
    held.release();
    expect((await accepting).status).toBe(204);
    const view = await calls.get("bob", id);
    expect(view.body).toMatchObject({ ownerId: users.bob.id, myRole: "owner" });
    expect((await calls.get("alice", id)).body.myRole).toBe("coOwner");
    expect((await calls.get("carol", id)).body.code).toBe("access_revoked");
    expect(await disagreements(app, id)).toEqual([]);
  });

  test("the old owner revokes the person offered while they accept: the revoke voids the offer, the accept is refused", async () => {
    const id = await offered("processMining");
    const held = app.faults.holdNext(batchWith("ownershipAccepted"));
    const accepting = calls.accept("bob", id);
    await held.reached;
    expect((await calls.revoke("alice", id, users.bob.id)).status).toBe(204);
    held.release();
    const accept = await accepting;
    expect([accept.status, accept.body.code]).toEqual([403, "access_revoked"]);
    const view = await calls.get("alice", id);
    expect(view.body).toMatchObject({ ownerId: users.alice.id, myRole: "owner" });
    expect(view.body.pendingOwner).toBeUndefined();
    // The list row the acceptance wrote ahead for bob is put back at once: revoked, not owner.
    expect(await disagreements(app, id)).toEqual([]);
  });

  test("a revoke of the person offered, planned before the acceptance committed, never removes the new owner", async () => {
    const id = await offered();
    const held = app.faults.holdNext(batchWith('"revoked"'));
    const revoking = calls.revoke("alice", id, users.bob.id);
    await held.reached;
    expect((await calls.accept("bob", id)).status).toBe(204);
    held.release();
    // Alice is a co-owner now, with `share`: her revoke reads again and finds bob the owner.
    const revoke = await revoking;
    expect([revoke.status, revoke.body.code]).toEqual([400, "cannot_share_with_owner"]);
    const view = await calls.get("bob", id);
    expect(view.body).toMatchObject({ ownerId: users.bob.id, myRole: "owner" });
    expect(await disagreements(app, id)).toEqual([]);
  });

  test("a role change of the person offered, planned before the acceptance committed, never demotes the new owner", async () => {
    const id = await offered();
    const held = app.faults.holdNext(batchWith('"changed"'));
    const changing = app.call((await import("../../functions/access.js")).changeRole, {
      method: "PUT",
      as: "alice",
      path: `/api/processes/${id}/access/${users.bob.id}`,
      params: { id, principalId: users.bob.id },
      body: { role: "coOwner", sendInvitation: false },
    });
    await held.reached;
    expect((await calls.accept("bob", id)).status).toBe(204);
    held.release();
    const change = await changing;
    expect([change.status, change.body.code]).toEqual([400, "cannot_share_with_owner"]);
    expect((await calls.get("bob", id)).body.myRole).toBe("owner");
    expect(await disagreements(app, id)).toEqual([]);
  });
});

describe("accept racing a share", () => {
  test("a share naming the person offered, planned before the acceptance committed, fails for them alone", async () => {
    const id = await offered();
    const held = app.faults.holdNext(batchWith('"changed"'));
    const sharing = app.call((await import("../../functions/access.js")).shareProcess, {
      method: "POST",
      as: "alice",
      path: `/api/processes/${id}/access`,
      params: { id },
      body: {
        role: "coOwner",
        sendInvitation: false,
        recipients: [{ id: users.bob.id }, { id: users.carol.id }],
      },
    });
    await held.reached;
    expect((await calls.accept("bob", id)).status).toBe(204);
    held.release();
    const share = await sharing;
    expect(share.status).toBe(207);
    expect(share.body.value.map((result: any) => result.error?.code ?? result.status)).toEqual([
      "cannot_share_with_owner",
      "updated",
    ]);
    expect((await calls.get("bob", id)).body.myRole).toBe("owner");
    expect((await calls.get("carol", id)).body.myRole).toBe("coOwner");
    expect(await disagreements(app, id)).toEqual([]);
  });
});

describe("answers racing each other", () => {
  test("a withdraw while the acceptance is on its way: the offer is gone, nothing changes hands", async () => {
    const id = await offered();
    const held = app.faults.holdNext(batchWith("ownershipAccepted"));
    const accepting = calls.accept("bob", id);
    await held.reached;
    expect((await calls.withdraw("alice", id)).status).toBe(204);
    held.release();
    const accept = await accepting;
    expect([accept.status, accept.body.code]).toEqual([409, "no_ownership_offer"]);
    expect((await calls.get("alice", id)).body.myRole).toBe("owner");
    expect(await disagreements(app, id)).toEqual([]);
  });

  test("two accepts of one offer at once: one takes it, the other is told there is none", async () => {
    const id = await offered();
    const held = app.faults.holdNext(batchWith("ownershipAccepted"));
    const first = calls.accept("bob", id);
    await held.reached;
    const second = await calls.accept("bob", id);
    held.release();
    const statuses = [(await first).status, second.status].sort();
    expect(statuses).toEqual([204, 409]);
    expect(await disagreements(app, id)).toEqual([]);
    expect((await calls.get("alice", id)).body.myRole).toBe("coOwner");
  });

  test("an administrator reassigns while the acceptance is on its way: one owner, and every row agrees", async () => {
    const id = await offered("processMining");
    const held = app.faults.holdNext(batchWith("ownershipAccepted"));
    const accepting = calls.accept("bob", id);
    await held.reached;
    expect((await calls.reassign("dave", id, users.carol.id)).status).toBe(200);
    held.release();
    const accept = await accepting;
    expect([accept.status, accept.body.code]).toEqual([409, "no_ownership_offer"]);
    expect((await calls.get("carol", id)).body.myRole).toBe("owner");
    expect(await disagreements(app, id)).toEqual([]);
  });
});
