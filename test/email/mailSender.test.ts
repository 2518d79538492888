import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { EmailConfig } from "../../shared/config.js";
import { renderInvitationEmail } from "../../shared/email/invitationEmail.js";
import {
  createMailSender,
  invitationOperationId,
  MailRepeatExpiredError,
  type MailSender,
  MailServiceRefusedError,
  MailServiceUnavailableError,
  type OutgoingMail,
  repeatabilityRequestId,
} from "../../shared/email/mailSender.js";
import { startTestMailbox, type TestMailbox } from "../support/mailbox.js";

const appBaseUrl = "http://localhost:3000";
const senderAddress = "DoNotReply@contoso.example";
const devKey = randomBytes(32).toString("base64");

let testMailbox: TestMailbox;
let sender: MailSender;

function emailConfig(connectionString: string): EmailConfig {
  return { connectionString, senderAddress, resendCooldownSeconds: 300, sharerHourlyQuota: 100 };
}

/** Short waits so that retries do not slow the run; Retry-After is still honoured as given. */
const fastTuning = { serverErrorBackoffMs: 10, pollIntervalMs: 10, maxRetryAfterSeconds: 5 };

beforeAll(async () => {
  testMailbox = await startTestMailbox();
  sender = createMailSender(emailConfig(testMailbox.connectionString), fastTuning);
});

afterAll(async () => {
  await testMailbox.close();
});

beforeEach(() => {
  testMailbox.mailbox.reset();
});

function mail(subject = "You are invited"): OutgoingMail {
  return {
    to: { address: "bob@contoso.example", displayName: "Bob Example" },
    subject,
    plainText: "Hello Bob",
    html: "<p>Hello Bob</p>",
  };
}

function newOperationId(): string {
  return invitationOperationId(crypto.randomUUID());
}

describe("sending an invitation through the real EmailClient to the dev mailbox", () => {
  it.each([
    ["taskMining", "coOwner", "help manage the process", "/processes/p-1"],
    ["taskMining", "contributor", "add new recordings to the process", "/processes/p-1"],
    ["processMining", "coOwner", "help manage the process", "/processes/p-1"],
    ["processMining", "viewer", "view the analytics of the process", "/processes/p-1/analytics"],
  ] as const)(
    "a %s %s invitation arrives once, asking to %s, linking to %s",
    async (kind, role, asks, path) => {
      const email = renderInvitationEmail(
        {
          process: { id: "p-1", name: "Invoice <approval> & co", kind: kind },
          role: role,
          sharerName: "Alice Example",
          message: "See you <there>",
        },
        appBaseUrl,
      );
      const operationId = newOperationId();

      const outcome = await sender.send(
        {
          to: { address: "bob@contoso.example" },
          subject: email.subject,
          plainText: email.plainText,
          html: email.html,
        },
        operationId,
        new Date(),
      );

      expect(outcome).toEqual({ status: "sent", operationId });
      const arrived = testMailbox.mailbox.list();
      expect(arrived).toHaveLength(1);
      const [message] = arrived;
      expect(message?.operationId).toBe(operationId);
      expect(message?.from).toBe(senderAddress);
      expect(message?.to).toEqual([{ address: "bob@contoso.example" }]);
      expect(message?.subject).toBe(`Alice Example invited you to ${asks} "Invoice <approval> & co"`);
      expect(message?.plainText).toContain(`${appBaseUrl}${path}`);
      expect(message?.plainText).toContain("> See you <there>");
      expect(message?.html).toContain(`<a href="${appBaseUrl}${path}"`);
      expect(message?.html).toContain("<strong>Invoice &lt;approval&gt; &amp; co</strong>");
      expect(message?.html).toContain("See you &lt;there&gt;");
    },
  );

  it("delivers one message when the same operation id is sent twice inside the repeat window", async () => {
    const operationId = newOperationId();
    const firstSentAt = new Date();

    const first = await sender.send(mail("first"), operationId, firstSentAt);
    const second = await sender.send(mail("first"), operationId, firstSentAt);

    expect(first).toEqual({ status: "sent", operationId });
    expect(second).toEqual({ status: "sent", operationId });
    expect(testMailbox.mailbox.list().map((m) => m.subject)).toEqual(["first"]);
    expect(testMailbox.mailbox.requestCounts()).toMatchObject({ send: 2, replayed: 1 });
  });

  it("is refused (400) when a repeat of an operation carries other content", async () => {
    const operationId = newOperationId();
    const firstSentAt = new Date();
    await sender.send(mail("first"), operationId, firstSentAt);

    const error = await sender.send(mail("second"), operationId, firstSentAt).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailServiceRefusedError);
    expect((error as MailServiceRefusedError).serviceStatus).toBe(400);
    expect(testMailbox.mailbox.list().map((m) => m.subject)).toEqual(["first"]);
  });

  it("throws MailRepeatExpiredError (412) for a first attempt older than the 5-minute window, and sends nothing", async () => {
    const error = await sender
      .send(mail(), newOperationId(), new Date(Date.now() - 5 * 60 * 1000 - 1000))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailRepeatExpiredError);
    expect(testMailbox.mailbox.requestCounts()).toMatchObject({ send: 1, expired: 1 });
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("sends the repeatability headers on every send, derived from the operation id", async () => {
    const operationId = newOperationId();
    const firstSentAt = new Date("2026-01-02T03:04:05.678Z");
    const seen: Array<Record<string, string | undefined>> = [];
    const spy = await startTestMailbox({ now: () => new Date(), repeatNow: () => new Date(firstSentAt) });
    const observed = createMailSender(emailConfig(spy.connectionString), fastTuning);
    spy.mailbox.onSend((headers) => seen.push(headers));
    try {
      spy.mailbox.failNextSends(1);
      await observed.send(mail(), operationId, firstSentAt);
    } finally {
      await spy.close();
    }
    expect(seen).toHaveLength(2);
    for (const headers of seen) {
      expect(headers["repeatability-request-id"]).toBe(repeatabilityRequestId(operationId));
      expect(headers["repeatability-first-sent"]).toBe("Fri, 02 Jan 2026 03:04:05 GMT");
    }
    expect(repeatabilityRequestId(operationId)).not.toBe(operationId);
    expect(repeatabilityRequestId(operationId)).toBe(repeatabilityRequestId(operationId.toUpperCase()));
  });

  it("delivers one message when the same operation id is sent concurrently", async () => {
    const operationId = newOperationId();

    const outcomes = await Promise.all([
      sender.send(mail(), operationId, new Date()),
      sender.send(mail(), operationId, new Date()),
    ]);

    expect(outcomes).toEqual([
      { status: "sent", operationId },
      { status: "sent", operationId },
    ]);
    expect(testMailbox.mailbox.list()).toHaveLength(1);
  });

  it("takes the sender address from configuration and strips line breaks from the subject and name", async () => {
    await sender.send(
      {
        to: { address: "bob@contoso.example", displayName: "Bob\r\nBcc: eve@example.com" },
        subject: "Hi\r\nBcc: eve@example.com",
        plainText: "x",
        html: "<p>x</p>",
      },
      newOperationId(),
      new Date(),
    );

    const [message] = testMailbox.mailbox.list();
    expect(message?.from).toBe(senderAddress);
    expect(message?.subject).toBe("Hi Bcc: eve@example.com");
    expect(message?.to).toEqual([
      { address: "bob@contoso.example", displayName: "Bob Bcc: eve@example.com" },
    ]);
  });
});

describe("the mail service refusing or failing", () => {
  it("is refused with 401 for a wrong access key, and the sender reports it as a refusal", async () => {
    const wrongKey = testMailbox.connectionString.replace(
      /accesskey=.*$/,
      `accesskey=${randomBytes(32).toString("base64")}`,
    );
    const wrongSender = createMailSender(emailConfig(wrongKey), fastTuning);

    const error = await wrongSender.send(mail(), newOperationId(), new Date()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailServiceRefusedError);
    expect((error as MailServiceRefusedError).serviceStatus).toBe(401);
    expect((error as MailServiceRefusedError).code).toBe("mail_service_refused");
    expect(testMailbox.mailbox.requestCounts().unauthorized).toBeGreaterThan(0);
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("waits out a 429's Retry-After and then sends", async () => {
    testMailbox.mailbox.throttleNextSends(1, 1);
    const before = testMailbox.mailbox.requestCounts().send;
    const operationId = newOperationId();

    const outcome = await sender.send(mail(), operationId, new Date());

    expect(outcome).toEqual({ status: "sent", operationId });
    expect(testMailbox.mailbox.requestCounts().send - before).toBe(2);
    expect(testMailbox.mailbox.list()).toHaveLength(1);
  });

  it("gives a 429 whose Retry-After is too long back to the queue without waiting, with the delay", async () => {
    testMailbox.mailbox.throttleNextSends(1, 600);
    const before = testMailbox.mailbox.requestCounts().send;

    const error = await sender.send(mail(), newOperationId(), new Date()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailServiceUnavailableError);
    expect((error as MailServiceUnavailableError).retryAfterSeconds).toBe(600);
    expect(testMailbox.mailbox.requestCounts().send - before).toBe(1);
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("retries a 500 and then sends", async () => {
    testMailbox.mailbox.failNextSends(2);
    const before = testMailbox.mailbox.requestCounts().send;
    const operationId = newOperationId();

    const outcome = await sender.send(mail(), operationId, new Date());

    expect(outcome).toEqual({ status: "sent", operationId });
    expect(testMailbox.mailbox.requestCounts().send - before).toBe(3);
    expect(testMailbox.mailbox.list()).toHaveLength(1);
  });

  it("throws a transient error after a bounded number of 500s, so that the queue retries", async () => {
    const bounded = createMailSender(emailConfig(testMailbox.connectionString), {
      ...fastTuning,
      maxAttempts: 3,
    });
    testMailbox.mailbox.failNextSends(3);
    const before = testMailbox.mailbox.requestCounts().send;

    const error = await bounded.send(mail(), newOperationId(), new Date()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MailServiceUnavailableError);
    expect((error as MailServiceUnavailableError).code).toBe("mail_service_unavailable");
    expect(testMailbox.mailbox.requestCounts().send - before).toBe(3);
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("reports a Failed operation as failed with the service's reason, delivering nothing", async () => {
    testMailbox.mailbox.failNextOperations(1);
    const operationId = newOperationId();

    const outcome = await sender.send(mail(), operationId, new Date());

    expect(outcome).toEqual({
      status: "failed",
      operationId,
      reason: "EmailDroppedAllRecipientsSuppressed: Message was not delivered.",
    });
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("is refused with 401 when the request's date is stale", async () => {
    const skewed = await startTestMailbox({ now: () => new Date(Date.now() + 60 * 60 * 1000) });
    try {
      const skewedSender = createMailSender(emailConfig(skewed.connectionString), fastTuning);

      const error = await skewedSender.send(mail(), newOperationId(), new Date()).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(MailServiceRefusedError);
      expect((error as MailServiceRefusedError).serviceStatus).toBe(401);
      expect(skewed.mailbox.list()).toEqual([]);
    } finally {
      await skewed.close();
    }
  });
});

describe("looking up an earlier send", () => {
  it("knows a sent operation without sending again", async () => {
    const operationId = newOperationId();
    await sender.send(mail(), operationId, new Date());
    const before = testMailbox.mailbox.requestCounts().send;

    expect(await sender.lookup(operationId)).toEqual({ status: "sent", operationId });
    expect(testMailbox.mailbox.requestCounts().send).toBe(before);
    expect(testMailbox.mailbox.list()).toHaveLength(1);
  });

  it("answers unknown for an operation the service never accepted", async () => {
    expect(await sender.lookup(newOperationId())).toBe("unknown");
  });

  it("knows a failed operation and its reason", async () => {
    testMailbox.mailbox.failNextOperations(1);
    const operationId = newOperationId();
    await sender.send(mail(), operationId, new Date());

    expect(await sender.lookup(operationId)).toEqual({
      status: "failed",
      operationId,
      reason: "EmailDroppedAllRecipientsSuppressed: Message was not delivered.",
    });
  });

  it("answers running while the operation has not ended", async () => {
    testMailbox.mailbox.holdOperationsRunning(100);
    const operationId = newOperationId();
    const impatient = createMailSender(emailConfig(testMailbox.connectionString), {
      ...fastTuning,
      maxAttempts: 1,
      maxOperationWaitMs: 50,
    });
    try {
      const error = await impatient.send(mail(), operationId, new Date()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MailServiceUnavailableError);

      expect(await sender.lookup(operationId)).toBe("running");
    } finally {
      testMailbox.mailbox.holdOperationsRunning(0);
    }
  });
});

describe("creating the mail sender", () => {
  it("refuses an endpoint with a path, which the Communication Services client cannot use, naming the setting", () => {
    const config = emailConfig(`endpoint=http://localhost:7071/dev/mailbox/acs/;accesskey=${devKey}`);

    expect(() => createMailSender(config)).toThrow(/^EMAIL_CONNECTION_STRING: .*without a path/);
  });

  it("refuses plain http to any host but this machine", () => {
    const config = emailConfig(`endpoint=http://mail.contoso.example/;accesskey=${devKey}`);

    expect(() => createMailSender(config)).toThrow(/^EMAIL_CONNECTION_STRING: .*https/);
    expect(() =>
      createMailSender({
        endpoint: "http://mail.contoso.example/",
        senderAddress,
        resendCooldownSeconds: 300,
        sharerHourlyQuota: 100,
      }),
    ).toThrow(/^EMAIL_ENDPOINT: .*https/);
  });

  it("accepts an https endpoint for managed identity without calling anything", () => {
    expect(
      createMailSender({
        endpoint: "https://contoso.communication.azure.com/",
        senderAddress,
        resendCooldownSeconds: 300,
        sharerHourlyQuota: 100,
      }),
    ).toBeDefined();
  });
});

describe("invitation operation ids", () => {
  it("are the same UUID for the same invitation and attempt, whatever the id's case", () => {
    const invitationId = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
    expect(invitationOperationId(invitationId)).toBe(invitationOperationId(invitationId.toLowerCase()));
    expect(invitationOperationId(invitationId, 1)).toBe(invitationOperationId(invitationId, 1));
  });

  it("differ between invitations and between re-send attempts", () => {
    const a = crypto.randomUUID();
    const b = crypto.randomUUID();
    const ids = new Set([invitationOperationId(a), invitationOperationId(a, 1), invitationOperationId(b)]);
    expect(ids.size).toBe(3);
  });

  it("are version 5 (name-based, SHA-1) UUIDs of the RFC 4122 variant", () => {
    expect(invitationOperationId(crypto.randomUUID())).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("refuse a negative or fractional attempt", () => {
    expect(() => invitationOperationId(crypto.randomUUID(), -1)).toThrow(/attempt/);
    expect(() => invitationOperationId(crypto.randomUUID(), 1.5)).toThrow(/attempt/);
  });
});
