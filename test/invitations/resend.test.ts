import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

import { listAccess } from "../../functions/access.js";
import { resendInvitation } from "../../functions/invitations.js";
import { processPath, users } from "../support/app.js";
import { createProcessAs, drain, type InvitationApp, shareAs, startInvitationApp } from "./support.js";

let it: InvitationApp;
const cooldownSeconds = 300;

beforeAll(async () => {
  it = await startInvitationApp();
});
afterAll(async () => {
  await it.close();
});
beforeEach(() => {
  it.mailbox.mailbox.reset();
});

function resend(as: string, id: string, principalId: string) {
  return it.app.call(resendInvitation, {
    method: "POST",
    as,
    path: `/api/processes/${id}/access/${principalId}/invitation`,
    params: { id, principalId },
  });
}

async function invitationOf(id: string, principalId: string): Promise<any> {
  const access = await it.app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
  return access.body.value.find((entry: { principalId: string }) => entry.principalId === principalId)
    ?.invitation;
}

describe("re-sending an invitation", () => {
  test("after the cooldown: a new email, with a new operation id, and the status back to sent", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining", "Procurement");
    await shareAs(it.app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      message: "Have a look",
    });
    await drain(it.queue);
    const firstSentAt = (await invitationOf(id, users.bob.id)).sentAt as string;

    it.clock.advance((cooldownSeconds + 1) * 1000);
    const response = await resend("alice", id, users.bob.id);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ principalId: users.bob.id, invitation: { status: "pending" } });
    expect(await invitationOf(id, users.bob.id)).toEqual({ status: "pending" });

    await drain(it.queue);
    const mail = it.mailbox.mailbox.list();
    expect(mail).toHaveLength(2);
    expect(new Set(mail.map((email) => email.operationId)).size).toBe(2);
    expect(mail[1]?.subject).toBe(
      `${users.alice.displayName} invited you to view the analytics of the process "Procurement"`,
    );
    expect(mail[1]?.plainText).toContain("> Have a look");
    const invitation = await invitationOf(id, users.bob.id);
    expect(invitation.status).toBe("sent");
    expect(invitation.sentAt > firstSentAt).toBe(true);
  });

  test("within the cooldown: 429 with Retry-After, and nothing sent", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.carol.id }] });
    await drain(it.queue);
    it.clock.advance(100 * 1000);
    const response = await resend("alice", id, users.carol.id);
    expect(response.status).toBe(429);
    expect(response.body.code).toBe("too_many_requests");
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(cooldownSeconds - 100 + 1);
    expect(await drain(it.queue)).toEqual([]);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
  });

  test("two re-sends at once: one is accepted, the other is told to wait", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    await drain(it.queue);
    it.clock.advance((cooldownSeconds + 1) * 1000);
    const statuses = (
      await Promise.all([resend("alice", id, users.bob.id), resend("alice", id, users.bob.id)])
    )
      .map((response) => response.status)
      .sort();
    expect(statuses).toEqual([202, 429]);
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(2);
  });

  test("a failed invitation can be re-sent, and the re-sent one is delivered", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    it.mailbox.mailbox.failNextOperations(1);
    await drain(it.queue);
    expect((await invitationOf(id, users.bob.id)).status).toBe("failed");
    it.clock.advance((cooldownSeconds + 1) * 1000);
    expect((await resend("alice", id, users.bob.id)).status).toBe(202);
    await drain(it.queue);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
  });

  test("needs the share right, an existing holder, and not the owner", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.carol.id }] });
    await drain(it.queue);
    it.clock.advance((cooldownSeconds + 1) * 1000);
    const byContributor = await resend("carol", id, users.carol.id);
    expect([byContributor.status, byContributor.body.code]).toEqual([403, "forbidden"]);
    const noHolder = await resend("alice", id, users.bob.id);
    expect([noHolder.status, noHolder.body.code]).toEqual([404, "not_found"]);
    const owner = await resend("alice", id, users.alice.id);
    expect([owner.status, owner.body.code]).toEqual([400, "cannot_share_with_owner"]);
    const stranger = await resend("erin", id, users.carol.id);
    expect(stranger.status).toBe(404);
    expect(await drain(it.queue)).toEqual([]);
  });
});
