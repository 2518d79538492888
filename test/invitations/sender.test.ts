import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

import { changeRole, listAccess, revokeAccess } from "../../functions/access.js";
import { sendInvitation } from "../../functions/invitations.js";
import { DevDirectory, readDevDirectory } from "../../shared/directory/devDirectory.js";
import { processPath, users } from "../support/app.js";
import {
  contextFor,
  createProcessAs,
  deliverNext,
  drain,
  fastMailTuning,
  type InvitationApp,
  peekCount,
  shareAs,
  startInvitationApp,
} from "./support.js";

/** Erin's name as the directory gives it: CR/LF and markup, to check that neither gets through. */
const hostileName = 'Erin\r\nBcc: mallory@evil.example <script>alert("erin")</script>';

let it: InvitationApp;

beforeAll(async () => {
  const data = readDevDirectory();
  const directory = new DevDirectory({
    ...data,
    users: data.users.map((user) => (user.alias === "erin" ? { ...user, displayName: hostileName } : user)),
  });
  it = await startInvitationApp({ directory });
});
afterAll(async () => {
  await it.close();
});
beforeEach(() => {
  it.mailbox.mailbox.reset();
});

async function invitationOf(id: string, principalId: string): Promise<any> {
  const access = await it.app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
  return access.body.value.find((entry: { principalId: string }) => entry.principalId === principalId)
    ?.invitation;
}

describe("a share sends exactly one invitation email", () => {
  test.each([
    ["taskMining", "coOwner", "help manage the process", ""],
    ["taskMining", "contributor", "add new recordings to the process", ""],
    ["processMining", "coOwner", "help manage the process", ""],
    ["processMining", "viewer", "view the analytics of the process", "/analytics"],
  ] as const)("a %s %s invitation asks to %s and links to the process%s", async (kind, role, asks, page) => {
    const id = await createProcessAs(it.app, "alice", kind, `Quarterly ${kind}`);
    const shared = await shareAs(it.app, "alice", id, {
      role,
      recipients: [{ id: users.bob.id }],
      message: "Please take a look.",
    });
    expect(shared.status).toBe(200);
    expect(await invitationOf(id, users.bob.id)).toEqual({ status: "pending" });

    const deliveries = await drain(it.queue, it.logs);
    expect(deliveries.map((delivery) => delivery.error)).toEqual([undefined]);

    const mail = it.mailbox.mailbox.list();
    expect(mail).toHaveLength(1);
    const [email] = mail;
    expect(email?.to).toEqual([{ address: users.bob.email, displayName: users.bob.displayName }]);
    expect(email?.from).toBe("DoNotReply@contoso.example");
    expect(email?.subject).toBe(`${users.alice.displayName} invited you to ${asks} "Quarterly ${kind}"`);
    const link = `http://localhost:3000/processes/${id}${page}`;
    expect(email?.plainText).toContain(
      `${users.alice.displayName} invited you to ${asks} "Quarterly ${kind}".`,
    );
    expect(email?.plainText).toContain(`: ${link}\n`);
    expect(email?.plainText).toContain("> Please take a look.");
    expect(email?.html).toContain(`<a href="${link}"`);

    const invitation = await invitationOf(id, users.bob.id);
    expect(invitation.status).toBe("sent");
    expect(Date.parse(invitation.sentAt)).not.toBeNaN();
  });

  test("sendInvitation: false records the role and sends nothing", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.bob.id }],
      sendInvitation: false,
    });
    expect(await peekCount(it.queue)).toBe(0);
    expect(await drain(it.queue)).toEqual([]);
    expect(it.mailbox.mailbox.list()).toEqual([]);
    expect(await invitationOf(id, users.bob.id)).toEqual({ status: "notRequested" });
  });

  test("sharing again with the same role sends no second email", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining");
    await shareAs(it.app, "alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    await drain(it.queue);
    const again = await shareAs(it.app, "alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    expect(again.body.value[0].status).toBe("unchanged");
    expect(await drain(it.queue)).toEqual([]);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
  });

  test("a role change before delivery sends one email, for the new role only", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining", "Claims");
    await shareAs(it.app, "alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    const changed = await it.app.call(changeRole, {
      method: "PUT",
      as: "alice",
      path: `/api/processes/${id}/access/${users.bob.id}`,
      params: { id, principalId: users.bob.id },
      body: { role: "coOwner" },
    });
    expect(changed.status).toBe(200);
    const deliveries = await drain(it.queue);
    expect(deliveries).toHaveLength(2);
    const mail = it.mailbox.mailbox.list();
    expect(mail.map((email) => email.subject)).toEqual([
      `${users.alice.displayName} invited you to help manage the process "Claims"`,
    ]);
    expect(it.mailbox.mailbox.requestCounts().send).toBe(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });

  test("a role change after delivery sends one more email, for the new role, once the cooldown is over", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining", "Onboarding");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.carol.id }] });
    await drain(it.queue);
    it.clock.advance(301 * 1000);
    await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.carol.id }] });
    await drain(it.queue);
    expect(it.mailbox.mailbox.list().map((email) => email.subject)).toEqual([
      `${users.alice.displayName} invited you to add new recordings to the process "Onboarding"`,
      `${users.alice.displayName} invited you to help manage the process "Onboarding"`,
    ]);
  });
});

describe("a redelivered message sends no second email", () => {
  async function sharedAndReceived(): Promise<{ id: string; message: unknown }> {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    const received = await it.queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 120 });
    const item = received.receivedMessageItems[0];
    if (item === undefined) throw new Error("no message on the queue");
    await it.queue.deleteMessage(item.messageId, item.popReceipt);
    return { id, message: JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")) };
  }

  test("the same message handled twice in a row", async () => {
    const { id, message } = await sharedAndReceived();
    await sendInvitation(message, contextFor("m-1", 1));
    await sendInvitation(message, contextFor("m-1", 2));
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(it.mailbox.mailbox.requestCounts().send).toBe(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });

  test("the same message handled twice at once", async () => {
    const { id, message } = await sharedAndReceived();
    await Promise.all([
      sendInvitation(message, contextFor("m-2", 1)),
      sendInvitation(message, contextFor("m-2", 1)),
      sendInvitation(message, contextFor("m-2", 1)),
    ]);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });

  test("the status write fails after the mail service accepted: the redelivery asks the service and sends nothing", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    // The one write after the send: the transaction that marks the invitation and the role sent
    // (the first transaction is the claim, before the send).
    let batches = 0;
    it.app.faults.crashOn(
      (request) => request.method === "POST" && request.url.endsWith("/$batch") && ++batches === 2,
    );
    const first = await deliverNext(it.queue);
    expect(String(first?.error)).toContain("injected crash");
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(await invitationOf(id, users.bob.id)).toEqual({ status: "pending" });

    const second = await deliverNext(it.queue);
    expect(second).toMatchObject({ dequeueCount: 2 });
    expect(second?.error).toBeUndefined();
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(it.mailbox.mailbox.requestCounts()).toMatchObject({ send: 1, status: 2 });
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });
});

describe("repeatable sends (Repeatability-Request-Id, Repeatability-First-Sent)", () => {
  test("crash after the mail service accepted, before the ledger says sent, and the status not yet known: the redelivery repeats the request and no second email goes", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    let batches = 0;
    it.app.faults.crashOn(
      (request) => request.method === "POST" && request.url.endsWith("/$batch") && ++batches === 2,
    );
    const first = await deliverNext(it.queue);
    expect(String(first?.error)).toContain("injected crash");
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    // The service's status store lags: the redelivery's look-up finds nothing, so it sends again.
    it.mailbox.mailbox.hideNextStatusReads(1);
    const second = await deliverNext(it.queue);
    expect(second?.error).toBeUndefined();
    expect(it.mailbox.mailbox.requestCounts()).toMatchObject({ send: 2, replayed: 1 });
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });

  test("two deliveries of one message at once, the second while the first is in flight: one email", async () => {
    const { id, message } = await sharedAndReceivedOnce();
    const held = it.mailbox.mailbox.holdNextSend();
    const first = sendInvitation(message, contextFor("m-3", 1));
    await held.reached;
    // The second finds the invitation claimed, the operation unknown to the status route, sends
    // the same repeatable request and is told 409 while the first is in flight.
    const second = sendInvitation(message, contextFor("m-3", 1)).catch((error: unknown) => error);
    while (it.mailbox.mailbox.requestCounts().inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    held.release();
    await first;
    await second;
    await drain(it.queue);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });

  test("a redelivery past the 5-minute repeat window of a send the service never accepted: 412, looked up, sent once with a new first-sent time", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    // The claim commits, then the mail service cannot be reached at all.
    it.mailbox.mailbox.failNextSends(fastMailTuning.maxAttempts);
    const first = await deliverNext(it.queue);
    expect(first?.error).toBeDefined();
    it.clock.advance(6 * 60 * 1000);
    await drain(it.queue);
    expect(it.mailbox.mailbox.requestCounts().expired).toBe(1);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });
});

async function sharedAndReceivedOnce(): Promise<{ id: string; message: unknown }> {
  const id = await createProcessAs(it.app, "alice", "taskMining");
  await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
  const received = await it.queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 120 });
  const item = received.receivedMessageItems[0];
  if (item === undefined) throw new Error("no message on the queue");
  await it.queue.deleteMessage(item.messageId, item.popReceipt);
  return { id, message: JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")) };
}

describe("the mail service failing", () => {
  test("a 429 with Retry-After is waited out and the email sent", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    it.mailbox.mailbox.throttleNextSends(1, 1);
    const deliveries = await drain(it.queue);
    expect(deliveries.map((delivery) => delivery.error)).toEqual([undefined]);
    expect(it.mailbox.mailbox.requestCounts().send).toBe(2);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });

  test("500s beyond the sender's own retries go back to the queue; the redelivery sends once", async () => {
    const id = await createProcessAs(it.app, "alice", "processMining");
    await shareAs(it.app, "alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    it.mailbox.mailbox.failNextSends(fastMailTuning.maxAttempts);
    const first = await deliverNext(it.queue);
    expect(first?.error).toBeDefined();
    expect(await invitationOf(id, users.bob.id)).toEqual({ status: "pending" });
    const rest = await drain(it.queue);
    expect(rest.map((delivery) => [delivery.dequeueCount, delivery.error])).toEqual([[2, undefined]]);
    expect(it.mailbox.mailbox.list()).toHaveLength(1);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });
  });

  test("always failing: failed, with the reason, on the last delivery host.json allows", async () => {
    const { maxDequeueCount } = it.app.services.queueSettings;
    expect(maxDequeueCount).toBe(5);
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    it.mailbox.mailbox.failNextSends(1000);
    for (let attempt = 1; attempt < maxDequeueCount; attempt++) {
      const delivery = await deliverNext(it.queue);
      expect([delivery?.dequeueCount, delivery?.error !== undefined]).toEqual([attempt, true]);
      expect(await invitationOf(id, users.bob.id)).toEqual({ status: "pending" });
    }
    const last = await deliverNext(it.queue);
    expect([last?.dequeueCount, last?.error !== undefined]).toEqual([maxDequeueCount, true]);
    const invitation = await invitationOf(id, users.bob.id);
    expect(invitation.status).toBe("failed");
    expect(invitation.failureReason).toContain(
      `The mail service was unavailable after ${maxDequeueCount} attempts`,
    );
    expect(it.mailbox.mailbox.list()).toEqual([]);
    it.mailbox.mailbox.reset();
    // Left on the queue (the host would move it to the poison queue); delivered again it changes nothing.
    await drain(it.queue);
    expect(it.mailbox.mailbox.requestCounts().send).toBe(0);
    expect((await invitationOf(id, users.bob.id)).status).toBe("failed");
  });

  test("a Failed operation marks the invitation failed at once, without a retry", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    it.mailbox.mailbox.failNextOperations(1);
    const deliveries = await drain(it.queue);
    expect(deliveries.map((delivery) => delivery.error)).toEqual([undefined]);
    const invitation = await invitationOf(id, users.bob.id);
    expect(invitation.status).toBe("failed");
    expect(invitation.failureReason).toContain("EmailDroppedAllRecipientsSuppressed");
  });
});

test("revoked before delivery: no email, and the mail service is not called", async () => {
  const id = await createProcessAs(it.app, "alice", "taskMining");
  await shareAs(it.app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
  const revoked = await it.app.call(revokeAccess, {
    method: "DELETE",
    as: "alice",
    path: `/api/processes/${id}/access/${users.bob.id}`,
    params: { id, principalId: users.bob.id },
  });
  expect(revoked.status).toBe(204);
  const deliveries = await drain(it.queue);
  expect(deliveries.map((delivery) => delivery.error)).toEqual([undefined]);
  expect(it.mailbox.mailbox.list()).toEqual([]);
  expect(it.mailbox.mailbox.requestCounts().total).toBe(0);
});

test("CR/LF, <script>, javascript: and markup in names, process names and messages come out inert", async () => {
  const processName = '<script>alert("p")</script> <a href="javascript:alert(1)">Invoices</a> & co';
  const id = await createProcessAs(it.app, "alice", "processMining", processName);
  const message = [
    "Hi!\r\nSubject: forged",
    "<script>alert('m')</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "Open the analytics: https://evil.example/phish",
  ].join("\r\n");
  await shareAs(it.app, "alice", id, { role: "viewer", recipients: [{ id: users.erin.id }], message });
  await drain(it.queue);

  const [email] = it.mailbox.mailbox.list();
  if (email === undefined) throw new Error("no email arrived");
  expect(email.to).toHaveLength(1);
  expect(email.to[0]?.address).toBe(users.erin.email);
  expect(email.to[0]?.displayName).not.toMatch(/[\r\n]/);
  expect(email.subject).not.toMatch(/[\r\n]/);
  expect(email.subject).toContain(processName);

  // HTML: no element or attribute of anyone's making; the only link is ours.
  expect(email.html).not.toMatch(/<script|<img|<a href="javascript/i);
  expect([...email.html.matchAll(/href="([^"]*)"/g)].map((match) => match[1])).toEqual([
    `http://localhost:3000/processes/${id}/analytics`,
  ]);
  expect(email.html).toContain("&lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt;");
  expect(email.html).toContain("&lt;script&gt;alert(&#39;m&#39;)&lt;/script&gt;");
  expect(email.html).toContain("Hello Erin Bcc: mallory@evil.example &lt;script&gt;");
  expect(email.html).not.toContain("\r");

  // Plain text: the message is quoted line by line, so its fake link line cannot pass for ours.
  const lines = email.plainText.split("\n");
  expect(lines).toContain("> Open the analytics: https://evil.example/phish");
  expect(lines).toContain("> Subject: forged");
  expect(lines.filter((line) => line.startsWith("Open the analytics:"))).toEqual([
    `Open the analytics: http://localhost:3000/processes/${id}/analytics`,
  ]);
  expect(lines[0]).not.toContain("\r");
});
