import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

import { type InvitationApp, startInvitationApp } from "../invitations/support.js";
import { createProcessAs, users } from "../support/app.js";
import { transferCalls } from "../transfer/support.js";
import { change, hourMs, inFuture, share, sweep } from "./support.js";

let it: InvitationApp;
const dayMs = 24 * hourMs;

beforeAll(async () => {
  it = await startInvitationApp();
});
afterAll(async () => {
  await it.close();
});
beforeEach(() => {
  it.mailbox.mailbox.reset();
});

function noticesTo(email: string): { subject: string; plainText: string }[] {
  return it.mailbox.mailbox
    .list()
    .filter((mail) => mail.to.some((to) => to.address === email) && mail.subject.startsWith("Your access"))
    .map((mail) => ({ subject: mail.subject, plainText: mail.plainText }));
}

describe("notifyBeforeExpiry", () => {
  test("the holder is emailed once, that long before the role ends, and the dev mailbox shows it", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining", "Quarterly close");
    const expiresAt = inFuture(it.clock.now(), 3 * dayMs);
    const shared = await share(it.app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      expiresAt,
      notifyBeforeExpiry: "P1D",
    });
    expect(shared.status).toBe(200);
    await sweep();
    expect(noticesTo(users.bob.email)).toEqual([]);

    it.clock.advance(2 * dayMs + 1_000);
    await sweep();
    await sweep();
    const notices = noticesTo(users.bob.email);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toContain('"Quarterly close"');
    expect(notices[0]?.plainText).toContain(`/processes/${id}`);
  });

  test("no notice for a role renewed before it was due", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining");
    await share(it.app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.carol.id }],
      expiresAt: inFuture(it.clock.now(), 2 * dayMs),
      notifyBeforeExpiry: "PT12H",
    });
    await change(it.app, "alice", id, users.carol.id, {
      role: "viewer",
      expiresAt: inFuture(it.clock.now(), 30 * dayMs),
    });
    it.clock.advance(2 * dayMs - hourMs);
    await sweep();
    expect(noticesTo(users.carol.email)).toEqual([]);
  });

  test("notifyBeforeExpiry without expiresAt, or not a duration, is refused", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining");
    const alone = await share(it.app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.dave.id }],
      notifyBeforeExpiry: "P1D",
    });
    expect([alone.status, alone.body.code]).toEqual([400, "invalid_expiry"]);
    const bad = await share(it.app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.dave.id }],
      expiresAt: inFuture(it.clock.now(), dayMs),
      notifyBeforeExpiry: "one day",
    });
    expect([bad.status, bad.body.code]).toEqual([400, "validation_failed"]);
  });
});

describe("notifyBeforeExpiry and ownership transfer (issue 14)", () => {
  test("no notice to a holder who became the owner before it was due: an owner never expires", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining");
    await share(it.app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.carol.id }],
      expiresAt: inFuture(it.clock.now(), 2 * dayMs),
      notifyBeforeExpiry: "PT12H",
    });
    const calls = transferCalls(it.app);
    expect(
      (await calls.offer("alice", id, { principalId: users.carol.id, sendInvitation: false })).status,
    ).toBe(200);
    expect((await calls.accept("carol", id)).status).toBe(204);
    it.clock.advance(2 * dayMs + 1_000);
    await sweep();
    expect(noticesTo(users.carol.email)).toEqual([]);
    expect((await calls.get("carol", id)).body.myRole).toBe("owner");
  });
});
