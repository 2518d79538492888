import { createHash, createHmac } from "node:crypto";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { devMailboxAccessKey, type MailboxMessage, mailFrameSandbox } from "../../local/mailbox.js";
import type { EmailConfig } from "../../shared/config.js";
import { renderInvitationEmail } from "../../shared/email/invitationEmail.js";
import { createMailSender, invitationOperationId, type MailSender } from "../../shared/email/mailSender.js";
import { startTestMailbox, type TestMailbox } from "../support/mailbox.js";
import { allElements, parseDocument } from "./html.js";

const accessKey = devMailboxAccessKey;
let testMailbox: TestMailbox;
let sender: MailSender;

beforeAll(async () => {
  testMailbox = await startTestMailbox({ accessKey });
  const config: EmailConfig = {
    connectionString: testMailbox.connectionString,
    senderAddress: "DoNotReply@contoso.example",
    resendCooldownSeconds: 300,
    sharerHourlyQuota: 100,
  };
  sender = createMailSender(config, { pollIntervalMs: 10 });
});

afterAll(async () => {
  await testMailbox.close();
});

beforeEach(() => {
  testMailbox.mailbox.reset();
});

async function sendHostileMail(): Promise<string> {
  const operationId = invitationOperationId(crypto.randomUUID());
  await sender.send(
    {
      to: { address: "bob@contoso.example", displayName: "<img src=x onerror=alert(1)>" },
      subject: "<script>alert('subject')</script>",
      plainText: "<b>plain</b>",
      html: '<p onclick="alert(1)">Hi <script>alert("html")</script></p>',
    },
    operationId,
    new Date(),
  );
  return operationId;
}

/** Signs a request the way communication-common's HMAC policy does, to probe the stand-in's checks directly. */
function signedHeaders(method: string, path: string, body: string, options: { hashOf?: string } = {}) {
  const url = new URL(path, testMailbox.origin);
  const date = new Date().toUTCString();
  const contentHash = createHash("sha256")
    .update(options.hashOf ?? body)
    .digest("base64");
  const stringToSign = `${method}\n${url.pathname}${url.search}\n${date};${url.host};${contentHash}`;
  const signature = createHmac("sha256", Buffer.from(accessKey, "base64"))
    .update(stringToSign)
    .digest("base64");
  return {
    "x-ms-date": date,
    "x-ms-content-sha256": contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    "content-type": "application/json",
  };
}

const sendPath = "/emails:send?api-version=2025-09-01";
const messageBody = JSON.stringify({
  senderAddress: "DoNotReply@contoso.example",
  content: { subject: "Direct", plainText: "Hello" },
  recipients: { to: [{ address: "bob@contoso.example" }] },
});

describe("the dev mailbox's own routes", () => {
  it("lists what arrived as JSON {value: [...]} with every field", async () => {
    const operationId = await sendHostileMail();

    const response = await fetch(`${testMailbox.origin}/dev/mailbox`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { value: MailboxMessage[] };
    expect(body.value).toHaveLength(1);
    expect(body.value[0]).toMatchObject({
      operationId,
      to: [{ address: "bob@contoso.example", displayName: "<img src=x onerror=alert(1)>" }],
      subject: "<script>alert('subject')</script>",
      plainText: "<b>plain</b>",
      html: '<p onclick="alert(1)">Hi <script>alert("html")</script></p>',
    });
    expect(body.value[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(body.value[0]?.receivedAt ?? ""))).toBe(false);
  });

  it("shows what arrived as an HTML page for a browser, with every value escaped and nothing able to run", async () => {
    await sendHostileMail();

    const response = await fetch(`${testMailbox.origin}/dev/mailbox`, {
      headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" },
    });
    const page = await response.text();

    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-eval/);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    expect(page).not.toMatch(/<p onclick/i);
    expect(page).toContain("&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;");
    expect(page).toContain("&lt;p onclick=&quot;alert(1)&quot;&gt;");
    // Parsed as a browser would: the page itself holds no element or handler of the mail's making.
    const elements = allElements(parseDocument(page));
    expect(
      elements.filter((element) => ["script", "img", "object", "embed", "form"].includes(element.tag)),
    ).toEqual([]);
    expect(
      elements.flatMap((element) => Object.keys(element.attrs)).filter((name) => name.startsWith("on")),
    ).toEqual([]);
  });

  it("renders each mail's HTML in a sandboxed frame without scripts, its source one click away", async () => {
    await sendHostileMail();
    const invitation = renderInvitationEmail(
      {
        process: { id: crypto.randomUUID(), name: 'Q3 "close" <b>', kind: "processMining" },
        role: "viewer",
        sharerName: "Alice <script>alert(1)</script>",
        message: "</iframe><script>alert('escape')</script>",
      },
      "http://localhost:3000",
    );
    await sender.send(
      {
        to: { address: "bob@contoso.example" },
        subject: invitation.subject,
        plainText: invitation.plainText,
        html: invitation.html,
      },
      invitationOperationId(crypto.randomUUID()),
      new Date(),
    );
    const sent = testMailbox.mailbox.list();

    const page = await (
      await fetch(`${testMailbox.origin}/dev/mailbox`, { headers: { accept: "text/html" } })
    ).text();
    const elements = allElements(parseDocument(page));
    const frames = elements.filter((element) => element.tag === "iframe");

    // Newest first, one frame per mail, each holding exactly that mail's HTML.
    expect(frames.map((frame) => frame.attrs.srcdoc)).toEqual([sent[1]?.html, sent[0]?.html]);
    for (const frame of frames) {
      expect(frame.attrs.sandbox).toBe(mailFrameSandbox);
      const tokens = (frame.attrs.sandbox ?? "").split(/\s+/);
      expect(tokens).not.toContain("allow-scripts");
      expect(tokens).not.toContain("allow-same-origin");
      expect(tokens).not.toContain("allow-forms");
      expect(tokens).not.toContain("allow-top-navigation");
      expect(frame.attrs.src).toBeUndefined();
    }
    // The hostile message cannot close the frame and run in the page.
    expect(elements.filter((element) => element.tag === "script")).toEqual([]);
    // The source, one click away: a <details> per mail whose <pre> is the HTML, as text.
    const sources = elements.filter(
      (element) => element.tag === "details" && element.children[0]?.text === "HTML source",
    );
    expect(sources.map((details) => details.children[1]?.text)).toEqual([sent[1]?.html, sent[0]?.html]);
  });

  it("empties on DELETE, while the service still knows the operation ids it accepted", async () => {
    const operationId = await sendHostileMail();

    const deleted = await fetch(`${testMailbox.origin}/dev/mailbox`, { method: "DELETE" });
    const after = (await (await fetch(`${testMailbox.origin}/dev/mailbox`)).json()) as { value: unknown[] };

    expect(deleted.status).toBe(204);
    expect(after.value).toEqual([]);
    expect(await sender.lookup(operationId)).toEqual({ status: "sent", operationId });
  });

  it("answers 405 to other methods on the list and leaves paths that are not its own to the host", async () => {
    const put = await fetch(`${testMailbox.origin}/dev/mailbox`, { method: "PUT" });
    const other = await fetch(`${testMailbox.origin}/api/processes`);

    expect(put.status).toBe(405);
    // The test server answers 404 with an empty body only for what the mailbox did not claim.
    expect(other.status).toBe(404);
    expect(await other.text()).toBe("");
  });
});

describe("the mail API's checks", () => {
  it("accepts a request signed with the access key (the probe's signer agrees with the client's)", async () => {
    const response = await fetch(`${testMailbox.origin}${sendPath}`, {
      method: "POST",
      headers: { ...signedHeaders("POST", sendPath, messageBody), "operation-id": crypto.randomUUID() },
      body: messageBody,
    });

    expect(response.status).toBe(202);
    expect(response.headers.get("operation-location")).toMatch(
      /\/emails\/operations\/[0-9a-f-]{36}\?api-version=/,
    );
    expect(testMailbox.mailbox.list().map((m) => m.subject)).toEqual(["Direct"]);
  });

  it("refuses an unsigned request with 401 and records nothing", async () => {
    const response = await fetch(`${testMailbox.origin}${sendPath}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: messageBody,
    });

    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("Denied");
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("refuses with 401 a body that is not the one whose hash was signed", async () => {
    const response = await fetch(`${testMailbox.origin}${sendPath}`, {
      method: "POST",
      headers: signedHeaders("POST", sendPath, messageBody, { hashOf: "{}" }),
      body: messageBody,
    });

    expect(response.status).toBe(401);
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("refuses with 401 a signature made for another path", async () => {
    const response = await fetch(`${testMailbox.origin}${sendPath}`, {
      method: "POST",
      headers: signedHeaders("POST", "/emails:send?api-version=2021-10-01-preview", messageBody),
      body: messageBody,
    });

    expect(response.status).toBe(401);
  });

  it("answers 404 for the status of an operation it never accepted", async () => {
    const path = `/emails/operations/${crypto.randomUUID()}?api-version=2025-09-01`;

    const response = await fetch(`${testMailbox.origin}${path}`, { headers: signedHeaders("GET", path, "") });

    expect(response.status).toBe(404);
  });

  it("refuses a message without recipients with 400", async () => {
    const body = JSON.stringify({
      senderAddress: "a@b.example",
      content: { subject: "s", plainText: "p" },
      recipients: {},
    });

    const response = await fetch(`${testMailbox.origin}${sendPath}`, {
      method: "POST",
      headers: signedHeaders("POST", sendPath, body),
      body,
    });

    expect(response.status).toBe(400);
  });

  it("counts the requests it got", async () => {
    const before = testMailbox.mailbox.requestCounts();
    await sendHostileMail();
    const after = testMailbox.mailbox.requestCounts();

    expect(after.send - before.send).toBe(1);
    expect(after.status - before.status).toBeGreaterThanOrEqual(1);
    expect(after.total - before.total).toBe(after.send - before.send + (after.status - before.status));
  });
});

describe("repeatable requests, as Communication Services documents them", () => {
  function send(headers: Record<string, string>, body = messageBody): Promise<Response> {
    return fetch(`${testMailbox.origin}${sendPath}`, {
      method: "POST",
      headers: { ...signedHeaders("POST", sendPath, body), ...headers },
      body,
    });
  }
  const repeatable = (requestId: string, firstSent: Date) => ({
    "operation-id": crypto.randomUUID(),
    "repeatability-request-id": requestId,
    "repeatability-first-sent": firstSent.toUTCString(),
  });

  it("answers a repeat inside the window as the first request and sends nothing", async () => {
    const headers = repeatable(crypto.randomUUID(), new Date());
    const first = await send(headers);
    const again = await send(headers);

    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.headers.get("repeatability-result")).toBe("accepted");
    expect(again.headers.get("operation-location")).toBe(first.headers.get("operation-location"));
    expect(await again.json()).toEqual(await first.json());
    expect(testMailbox.mailbox.list()).toHaveLength(1);
    expect(testMailbox.mailbox.requestCounts()).toMatchObject({ send: 2, replayed: 1 });
  });

  it("answers 409 while the first request with the id is in flight, then the first answer", async () => {
    const headers = repeatable(crypto.randomUUID(), new Date());
    const held = testMailbox.mailbox.holdNextSend();
    const first = send(headers);
    await held.reached;

    const during = await send(headers);
    held.release();
    const firstAnswer = await first;
    const after = await send(headers);

    expect(during.status).toBe(409);
    expect(firstAnswer.status).toBe(202);
    expect(after.status).toBe(202);
    expect(testMailbox.mailbox.list()).toHaveLength(1);
  });

  it("answers 412 to a first-sent time outside the 5-minute window, and sends nothing", async () => {
    const response = await send(repeatable(crypto.randomUUID(), new Date(Date.now() - 5 * 60 * 1000 - 2000)));

    expect(response.status).toBe(412);
    expect(response.headers.get("repeatability-result")).toBe("rejected");
    expect(testMailbox.mailbox.list()).toEqual([]);
  });

  it("refuses with 400 malformed headers and a repeat whose body differs", async () => {
    const now = new Date();
    const notGuid = await send({
      "repeatability-request-id": "abc",
      "repeatability-first-sent": now.toUTCString(),
    });
    const notDate = await send({
      "repeatability-request-id": crypto.randomUUID(),
      "repeatability-first-sent": now.toISOString(),
    });
    const alone = await send({ "repeatability-request-id": crypto.randomUUID() });
    const headers = repeatable(crypto.randomUUID(), now);
    await send(headers);
    const otherBody = JSON.stringify({
      ...JSON.parse(messageBody),
      content: { subject: "Other", plainText: "x" },
    });
    const differs = await send(headers, otherBody);

    expect([notGuid.status, notDate.status, alone.status, differs.status]).toEqual([400, 400, 400, 400]);
    expect(testMailbox.mailbox.list().map((m) => m.subject)).toEqual(["Direct"]);
  });

  it("runs a repeat again when the first ended in a server error", async () => {
    const headers = repeatable(crypto.randomUUID(), new Date());
    testMailbox.mailbox.failNextSends(1);
    const first = await send(headers);
    const again = await send(headers);

    expect([first.status, again.status]).toEqual([500, 202]);
    expect(testMailbox.mailbox.list()).toHaveLength(1);
  });

  it("does not deduplicate a repeated Operation-Id on its own (the service does not document it)", async () => {
    const operationId = crypto.randomUUID();
    await send({ "operation-id": operationId });
    await send({ "operation-id": operationId });

    expect(testMailbox.mailbox.list()).toHaveLength(2);
  });
});
