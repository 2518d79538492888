import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

import { changeRole, listAccess, revokeAccess } from "../../functions/access.js";
import { resendInvitation, sendInvitation } from "../../functions/invitations.js";
import { processPath, type TestApp, users } from "../support/app.js";
import {
  contextFor,
  createProcessAs,
  drain,
  type InvitationApp,
  shareAs,
  startInvitationApp,
} from "./support.js";

/**
 * Invitation floods (issue 11, finding 5; SPEC "Invitations"): one cooldown per (process,
 * person) on every path that sends, and a per-sharer hourly quota. Over either, the role is
 * granted and the invitation is `failed` with `failureReason` `cooldown` or `sharerQuota`.
 */

const cooldownSeconds = 300;
const hourlyQuota = 3;

let it: InvitationApp;

beforeAll(async () => {
  it = await startInvitationApp({}, { INVITATION_SHARER_HOURLY_QUOTA: String(hourlyQuota) });
});
afterAll(async () => {
  await it.close();
});
beforeEach(() => {
  it.mailbox.mailbox.reset();
  // A fresh hour for every test: each sharer's quota starts empty.
  it.clock.advance(3601 * 1000);
});

async function accessOf(app: TestApp, id: string, principalId: string): Promise<any> {
  const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
  return access.body.value.find((entry: { principalId: string }) => entry.principalId === principalId);
}

function change(id: string, principalId: string, role: string) {
  return it.app.call(changeRole, {
    method: "PUT",
    as: "alice",
    path: `/api/processes/${id}/access/${principalId}`,
    params: { id, principalId },
    body: { role },
  });
}

function revoke(id: string, principalId: string) {
  return it.app.call(revokeAccess, {
    method: "DELETE",
    as: "alice",
    path: `/api/processes/${id}/access/${principalId}`,
    params: { id, principalId },
  });
}

describe("one cooldown per (process, person) on every path that sends", () => {
  test("7 role flips in a row, each delivered before the next, mail the person once", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining", "Flipped");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    await drain(it.queue);
    const roles = ["coOwner", "contributor", "coOwner", "contributor", "coOwner", "contributor", "coOwner"];
    for (const role of roles) {
      expect((await change(id, users.bob.id, role)).status).toBe(200);
      const deliveries = await drain(it.queue);
      expect(deliveries.map((delivery) => delivery.error)).toEqual([undefined]);
    }
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    const bob = await accessOf(it.app, id, users.bob.id);
    expect(bob.role).toBe("coOwner");
    expect(bob.invitation).toEqual({ status: "failed", failureReason: "cooldown" });
  });

  test("7 revokes and re-grants in a row mail the person once", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining", "Regranted");
    for (let round = 0; round < 7; round++) {
      const shared = await shareAs(it.app, "alice", id, {
        role: "viewer",
        recipients: [{ id: users.bob.id }],
      });
      expect(shared.body.value[0].status).toBe("granted");
      await drain(it.queue);
      if (round < 6) expect((await revoke(id, users.bob.id)).status).toBe(204);
    }
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    const bob = await accessOf(it.app, id, users.bob.id);
    expect(bob.role).toBe("viewer");
    expect(bob.invitation).toEqual({ status: "failed", failureReason: "cooldown" });
  });

  test("after the cooldown the next role change mails again; another process is not held back", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining", "Later");
    const other = await createProcessAs(it.app, "alice", "taskMining", "Other");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    await shareAs(it.app, "alice", other, { role: "contributor", recipients: [{ id: users.bob.id }] });
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(2);

    it.clock.advance((cooldownSeconds + 1) * 1000);
    await change(id, users.bob.id, "coOwner");
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(3);
    expect((await accessOf(it.app, id, users.bob.id)).invitation.status).toBe("sent");
  });

  test("two invitations to one person delivered at once: one email", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining", "Raced");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    const [firstMessage] = await receiveAll(1);
    // The first delivery has read bob's role and passed the cooldown; its claim is held in flight
    // while bob is revoked, re-granted and the second invitation delivered in full.
    const claim = it.app.faults.holdNext(
      (request) => request.method === "POST" && request.url.endsWith("/$batch"),
    );
    const first = sendInvitation(firstMessage, contextFor("race-1", 1));
    await claim.reached;
    expect((await revoke(id, users.bob.id)).status).toBe(204);
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    const [secondMessage] = await receiveAll(1);
    await sendInvitation(secondMessage, contextFor("race-2", 1));
    claim.release();
    await first;
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect((await accessOf(it.app, id, users.bob.id)).invitation.status).toBe("sent");
  });
});

describe("a per-sharer hourly quota", () => {
  test("a sharer over the hourly quota gets the grants but no more mail", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining", "Quota");
    const recipients = [users.bob, users.carol, users.erin, users.frank];
    const shared = await shareAs(it.app, "alice", id, {
      role: "contributor",
      recipients: recipients.map((user) => ({ id: user.id })),
    });
    expect(shared.status).toBe(200);
    expect(shared.body.value.map((result: { status: string }) => result.status)).toEqual(
      recipients.map(() => "granted"),
    );
    const deliveries = await drain(it.queue);
    expect(deliveries.map((delivery) => delivery.error)).toEqual(recipients.map(() => undefined));

    expect(it.mailbox.mailbox.list()).toHaveLength(hourlyQuota);
    const access = await Promise.all(recipients.map((user) => accessOf(it.app, id, user.id)));
    expect(access.map((entry) => entry.role)).toEqual(recipients.map(() => "contributor"));
    const statuses = access.map((entry) => entry.invitation.status);
    expect(statuses.filter((status) => status === "sent")).toHaveLength(hourlyQuota);
    expect(
      access.filter((entry) => entry.invitation.status === "failed").map((entry) => entry.invitation),
    ).toEqual([{ status: "failed", failureReason: "sharerQuota" }]);
    // Another sharer is not held back by alice's quota.
    const bobs = await createProcessAs(it.app, "bob", "taskMining", "Bob's");
    await shareAs(it.app, "bob", bobs, { role: "contributor", recipients: [{ id: users.carol.id }] });
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(hourlyQuota + 1);
  });

  test("deliveries at once cannot take more than the quota", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining", "Concurrent quota");
    const recipients = [users.bob, users.carol, users.dave, users.frank];
    await shareAs(it.app, "alice", id, {
      role: "contributor",
      recipients: recipients.map((user) => ({ id: user.id })),
    });
    const messages = await receiveAll(recipients.length);
    await Promise.all(messages.map((message, index) => sendInvitation(message, contextFor(`q-${index}`, 1))));
    expect(it.mailbox.mailbox.list()).toHaveLength(hourlyQuota);
  });

  test("the quota is a sliding hour: an hour later the sharer may mail again", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining", "Next hour");
    const recipients = [users.bob, users.carol, users.dave, users.frank];
    await shareAs(it.app, "alice", id, {
      role: "contributor",
      recipients: recipients.map((user) => ({ id: user.id })),
    });
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(hourlyQuota);
    const refused = (await Promise.all(recipients.map((user) => accessOf(it.app, id, user.id)))).find(
      (entry) => entry.invitation.status === "failed",
    );
    it.clock.advance(3601 * 1000);
    const resent = await it.app.call(resendInvitation, {
      method: "POST",
      as: "alice",
      path: `/api/processes/${id}/access/${refused.principalId}/invitation`,
      params: { id, principalId: refused.principalId },
    });
    expect(resent.status).toBe(202);
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(hourlyQuota + 1);
    expect((await accessOf(it.app, id, refused.principalId)).invitation.status).toBe("sent");
  });
});

/** Takes `count` messages off the queue (deleted), to hand to the queue handler by hand. */
async function receiveAll(count: number): Promise<unknown[]> {
  const messages: unknown[] = [];
  while (messages.length < count) {
    const received = await it.queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 120 });
    for (const item of received.receivedMessageItems) {
      await it.queue.deleteMessage(item.messageId, item.popReceipt);
      messages.push(JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")));
    }
  }
  return messages;
}
