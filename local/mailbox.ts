import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

import { escapeHtml } from "../shared/email/invitationEmail.js";
import { readBody, sendJson } from "./http.js";

/**
 * A local stand-in of the Azure Communication Services Email REST API, the one the real
 * `@azure/communication-email` client calls: `POST {endpoint}/emails:send` and
 * `GET {endpoint}/emails/operations/{operationId}`, HMAC-SHA256 signed with the access key of the
 * connection string. It records what arrived, so that `GET /dev/mailbox` can list it.
 * The client refuses an endpoint with a path (communication-common `assertValidEndpoint`), so the
 * mail API is served at the origin's root: `endpoint=http://localhost:7071/;accesskey=...`.
 * Local host and tests only; it never runs in Azure.
 *
 * Sends are repeatable requests as the service documents them (learn.microsoft.com, "Repeatable
 * requests", Email Send API): with `Repeatability-Request-Id` (a GUID) and
 * `Repeatability-First-Sent` (IMF-fixdate), a request id is tracked for 5 minutes from its first
 * sending. A repeat inside that window with the same body answers as the first did (2xx and 4xx
 * replayed, nothing sent again; after a 5xx it runs again), 409 while the first is still in
 * flight, 400 when its body differs; a first-sent time outside the window is 412; a malformed
 * header is 400. Every answer to a repeatable request carries `Repeatability-Result`. Unlike the
 * earlier stand-in, a repeated `Operation-Id` on its own is NOT deduplicated: the service does
 * not document that, so the mailbox delivers it again, and tests fail where Azure could.
 * Throttling (429) happens in front of the repeat tracking, as a gateway's would.
 */

/** The dev mailbox's access key (local.settings.sample.json); it protects nothing but local mail. */
export const devMailboxAccessKey = "ZGV2LW1haWxib3gta2V5LW5vdC1hLXNlY3JldC0wMDAwMDA=";

export interface MailboxAddress {
  readonly address: string;
  readonly displayName?: string;
}

export interface MailboxMessage {
  readonly id: string;
  readonly operationId: string;
  readonly from: string;
  readonly to: readonly MailboxAddress[];
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
  readonly receivedAt: string;
}

export interface MailboxRequestCounts {
  /** Every request that reached the mail API (signed or not). */
  readonly total: number;
  readonly send: number;
  readonly status: number;
  /** Repeats answered with the first request's answer (nothing sent again). */
  readonly replayed: number;
  /** Repeats answered 409: the first request with their id was still in flight. */
  readonly inFlight: number;
  /** Repeats answered 412: their first-sent time was outside the 5-minute window. */
  readonly expired: number;
  /** Refused for a missing, wrong or stale signature or content hash. */
  readonly unauthorized: number;
}

export interface DevMailboxOptions {
  /** Base64 access key the client signs with. */
  readonly accessKey?: string;
  /** Where the mailbox's own list is served (`GET`/`DELETE`); the mail API is at the root. */
  readonly basePath?: string;
  /** Largest accepted `x-ms-date` skew, either way. */
  readonly maxClockSkewSeconds?: number;
  readonly now?: () => Date;
  /**
   * The clock the repeat window is measured on (defaults to `now`): tests that move the app's
   * clock move this one with it, while request signatures stay checked against `now`.
   */
  readonly repeatNow?: () => Date;
}

type OperationStatus = "Running" | "Succeeded" | "Failed";

interface Operation {
  readonly id: string;
  status: OperationStatus;
  /** Status polls still to answer `Running` before the operation ends. */
  pollsBeforeDone: number;
  readonly outcome: "Succeeded" | "Failed";
  readonly error?: { readonly code: string; readonly message: string };
  readonly message?: MailboxMessage;
}

/** What the service remembers of a repeatable request for its window. */
interface TrackedRequest {
  readonly firstSentMs: number;
  readonly bodyHash: string;
  /** Undefined while the first request is in flight. */
  answer?: { readonly status: number; readonly body: unknown; readonly headers: Record<string, string> };
}

type ScriptedSendAnswer =
  { readonly status: 429; readonly retryAfterSeconds: number } | { readonly status: 500 };

/** The api-version the 1.1 client sends by default (models/parameters.js). */
export const mailApiVersion = "2025-09-01";
const maxBodyBytes = 1024 * 1024;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How long the service tracks a repeatable request from its first sending (documented: 5 minutes). */
export const repeatWindowMs = 5 * 60 * 1000;
const imfFixdate =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export class DevMailbox {
  readonly basePath: string;
  private readonly accessKey: Buffer;
  private readonly maxClockSkewMs: number;
  private readonly now: () => Date;
  private readonly repeatNow: () => Date;
  private readonly messages: MailboxMessage[] = [];
  private readonly operations = new Map<string, Operation>();
  private readonly scriptedSendAnswers: ScriptedSendAnswer[] = [];
  private readonly tracked = new Map<string, TrackedRequest>();
  private readonly sendGates: Array<{ reached: () => void; released: Promise<void> }> = [];
  private readonly sendListeners: Array<(headers: Record<string, string | undefined>) => void> = [];
  private failingOperations = 0;
  private runningPolls = 0;
  private hiddenStatusReads = 0;
  private counts = { ...zeroCounts };

  constructor(options: DevMailboxOptions = {}) {
    this.accessKey = Buffer.from(options.accessKey ?? devMailboxAccessKey, "base64");
    this.basePath = (options.basePath ?? "/dev/mailbox").replace(/\/+$/, "");
    this.maxClockSkewMs = (options.maxClockSkewSeconds ?? 15 * 60) * 1000;
    this.now = options.now ?? (() => new Date());
    this.repeatNow = options.repeatNow ?? this.now;
  }

  /** The connection string a client uses to reach this mailbox at `origin` (e.g. `http://127.0.0.1:7071`). */
  connectionStringFor(origin: string, accessKey = this.accessKey.toString("base64")): string {
    return `endpoint=${new URL(origin).origin}/;accesskey=${accessKey}`;
  }

  /** What arrived, oldest first. */
  list(): readonly MailboxMessage[] {
    return [...this.messages];
  }

  /** Empties the mailbox (`DELETE /dev/mailbox`); the service still knows the operation ids it accepted. */
  clear(): void {
    this.messages.length = 0;
  }

  /** Back to a fresh service: no mail, no known operations, no scripted faults, counts at zero. */
  reset(): void {
    this.messages.length = 0;
    this.operations.clear();
    this.scriptedSendAnswers.length = 0;
    this.tracked.clear();
    this.sendListeners.length = 0;
    for (const gate of this.sendGates.splice(0)) gate.reached();
    this.failingOperations = 0;
    this.runningPolls = 0;
    this.hiddenStatusReads = 0;
    this.counts = { ...zeroCounts };
  }

  requestCounts(): MailboxRequestCounts {
    return { ...this.counts };
  }

  /** The next `count` send requests are answered 429 with `Retry-After: retryAfterSeconds`. */
  throttleNextSends(count: number, retryAfterSeconds: number): void {
    for (let i = 0; i < count; i++) this.scriptedSendAnswers.push({ status: 429, retryAfterSeconds });
  }

  /** The next `count` send requests are answered 500. */
  failNextSends(count: number): void {
    for (let i = 0; i < count; i++) this.scriptedSendAnswers.push({ status: 500 });
  }

  /** The next `count` accepted operations end `Failed` (and deliver nothing). */
  failNextOperations(count: number): void {
    this.failingOperations += count;
  }

  /** Each later accepted operation answers `Running` to this many status polls before it ends. */
  holdOperationsRunning(polls: number): void {
    this.runningPolls = polls;
  }

  /** Calls `listener` with the repeatability and operation headers of every signed send request. */
  onSend(listener: (headers: Record<string, string | undefined>) => void): void {
    this.sendListeners.push(listener);
  }

  /**
   * Holds the next new send in flight (tracked, not yet answered) until released: `reached`
   * resolves when it is held, so that a test can repeat it meanwhile.
   */
  holdNextSend(): { reached: Promise<void>; release(): void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.sendGates.push({ reached, released });
    return { reached: reachedPromise, release };
  }

  /**
   * The next `count` status reads answer 404 as if the operation were unknown (a status store
   * that lags behind the send), so that only the repeat tracking stands between a look-up that
   * found nothing and a second email.
   */
  hideNextStatusReads(count: number): void {
    this.hiddenStatusReads += count;
  }

  /** Serves the mailbox routes; false when `pathname` is not the mailbox's. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (pathname === this.basePath || pathname === `${this.basePath}/`) {
      this.serveMailbox(req, res);
      return true;
    }
    // The client joins the endpoint's trailing slash and the operation path, so `//` may appear.
    const route = pathname.replace(/^\/+/, "");
    if (route !== "emails:send" && !route.startsWith("emails/")) return false;
    this.counts.total++;
    if (route === "emails:send") {
      if (req.method !== "POST") sendError(res, 405, "MethodNotAllowed", "Use POST.");
      else await this.acceptSend(req, res);
      return true;
    }
    const operationMatch = /^emails\/operations\/([^/]+)$/.exec(route);
    if (operationMatch?.[1] !== undefined) {
      if (req.method !== "GET") sendError(res, 405, "MethodNotAllowed", "Use GET.");
      else await this.answerStatus(req, res, decodeURIComponent(operationMatch[1]));
      return true;
    }
    await readBody(req, maxBodyBytes).catch(() => undefined);
    sendError(res, 404, "NotFound", "No such mail API route.");
    return true;
  }

  private serveMailbox(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === "DELETE") {
      this.clear();
      res.writeHead(204).end();
      return;
    }
    if (req.method !== "GET") {
      sendError(res, 405, "MethodNotAllowed", "Use GET or DELETE.");
      return;
    }
    const accept = req.headers.accept ?? "";
    if (prefersHtml(accept)) {
      res
        .writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          // The page shows mail written by users: nothing in it (or in a mail's frame, which
          // inherits this policy) may run or load anything.
          "content-security-policy":
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
          "x-content-type-options": "nosniff",
        })
        .end(renderMailboxPage(this.messages));
      return;
    }
    sendJson(res, 200, { value: this.messages });
  }

  private async acceptSend(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counts.send++;
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch {
      sendError(res, 413, "RequestEntityTooLarge", `The request is larger than ${maxBodyBytes} bytes.`);
      return;
    }
    if (!this.isAuthorized(req, body)) {
      this.counts.unauthorized++;
      sendError(res, 401, "Denied", "Denied by the resource provider.");
      return;
    }
    for (const listener of this.sendListeners) {
      listener({
        "operation-id": header(req, "operation-id"),
        "repeatability-request-id": header(req, "repeatability-request-id"),
        "repeatability-first-sent": header(req, "repeatability-first-sent"),
      });
    }
    // Throttling answers in front of the service; a scripted 500 is the service's own failure.
    const scripted = this.scriptedSendAnswers[0];
    if (scripted?.status === 429) {
      this.scriptedSendAnswers.shift();
      sendError(res, 429, "TooManyRequests", "Too many requests; retry later.", {
        "retry-after": String(scripted.retryAfterSeconds),
      });
      return;
    }

    const repeat = this.readRepeatability(req);
    if (typeof repeat === "string") {
      sendError(res, 400, "InvalidRepeatabilityHeaders", repeat, { "repeatability-result": "rejected" });
      return;
    }
    if (repeat === undefined) {
      const answer = this.execute(req, body);
      sendJson(res, answer.status, answer.body, answer.headers);
      return;
    }
    const now = this.repeatNow().getTime();
    for (const [id, entry] of this.tracked)
      if (entry.firstSentMs < now - repeatWindowMs) this.tracked.delete(id);
    if (repeat.firstSentMs < now - repeatWindowMs) {
      this.counts.expired++;
      sendError(
        res,
        412,
        "PreconditionFailed",
        "Repeatability-First-Sent is not within the 5-minute window.",
        {
          "repeatability-result": "rejected",
        },
      );
      return;
    }
    if (repeat.firstSentMs > now + this.maxClockSkewMs) {
      sendError(res, 400, "InvalidRepeatabilityHeaders", "Repeatability-First-Sent is in the future.", {
        "repeatability-result": "rejected",
      });
      return;
    }
    const bodyHash = createHash("sha256").update(body).digest("base64");
    const earlier = this.tracked.get(repeat.requestId);
    if (earlier !== undefined) {
      if (earlier.bodyHash !== bodyHash) {
        sendError(
          res,
          400,
          "RepeatabilityMismatch",
          "The request does not match the earlier one with this id.",
          {
            "repeatability-result": "rejected",
          },
        );
        return;
      }
      if (earlier.answer === undefined) {
        this.counts.inFlight++;
        sendError(res, 409, "RequestInProgress", "The request with this id is still in progress.", {
          "repeatability-result": "accepted",
        });
        return;
      }
      if (earlier.answer.status < 500) {
        this.counts.replayed++;
        sendJson(res, earlier.answer.status, earlier.answer.body, {
          ...earlier.answer.headers,
          "repeatability-result": "accepted",
        });
        return;
      }
      // The first ended in a server error: the repeat runs again.
    }
    const entry: TrackedRequest = { firstSentMs: repeat.firstSentMs, bodyHash };
    this.tracked.set(repeat.requestId, entry);
    const gate = this.sendGates.shift();
    if (gate !== undefined) {
      gate.reached();
      await gate.released;
    }
    const answer = this.execute(req, body);
    entry.answer = answer;
    sendJson(res, answer.status, answer.body, { ...answer.headers, "repeatability-result": "accepted" });
  }

  /** The repeatability headers: absent (undefined), malformed (what is wrong), or read. */
  private readRepeatability(
    req: IncomingMessage,
  ): { requestId: string; firstSentMs: number } | string | undefined {
    const requestId = header(req, "repeatability-request-id");
    const firstSent = header(req, "repeatability-first-sent");
    if (requestId === undefined && firstSent === undefined) return undefined;
    if (requestId === undefined || !guidPattern.test(requestId))
      return "Repeatability-Request-Id must be a GUID.";
    if (firstSent === undefined || !imfFixdate.test(firstSent))
      return "Repeatability-First-Sent must be an IMF-fixdate in UTC.";
    return { requestId: requestId.toLowerCase(), firstSentMs: Date.parse(firstSent) };
  }

  /** Runs a send: validates it, records the operation and (unless scripted to fail) the mail. */
  private execute(
    req: IncomingMessage,
    body: Buffer,
  ): { status: number; body: unknown; headers: Record<string, string> } {
    if (this.scriptedSendAnswers[0]?.status === 500) {
      this.scriptedSendAnswers.shift();
      return errorAnswer(500, "InternalServerError", "The mail service failed.");
    }
    const operationIdHeader = req.headers["operation-id"];
    const operationId = typeof operationIdHeader === "string" ? operationIdHeader : randomUUID();
    if (!guidPattern.test(operationId)) {
      return errorAnswer(400, "InvalidOperationId", "Operation-Id must be a GUID.");
    }
    const key = operationId.toLowerCase();
    const parsed = parseEmailMessage(body);
    if (typeof parsed === "string") return errorAnswer(400, "BadRequest", parsed);
    const failing = this.failingOperations > 0;
    if (failing) this.failingOperations--;
    const message: MailboxMessage | undefined = failing
      ? undefined
      : { id: randomUUID(), operationId: key, receivedAt: this.now().toISOString(), ...parsed };
    const operation: Operation = {
      id: key,
      status: "Running",
      pollsBeforeDone: this.runningPolls,
      outcome: failing ? "Failed" : "Succeeded",
      ...(failing
        ? { error: { code: "EmailDroppedAllRecipientsSuppressed", message: "Message was not delivered." } }
        : {}),
      ...(message !== undefined ? { message } : {}),
    };
    this.operations.set(key, operation);
    if (message !== undefined) this.messages.push(message);
    return this.accepted(req, operation);
  }

  private accepted(
    req: IncomingMessage,
    operation: Operation,
  ): { status: number; body: unknown; headers: Record<string, string> } {
    const location = `http://${req.headers.host ?? "localhost"}/emails/operations/${operation.id}?api-version=${mailApiVersion}`;
    return {
      status: 202,
      body: operationBody(operation),
      headers: { "operation-location": location, "operation-id": operation.id, "retry-after": "0" },
    };
  }

  private async answerStatus(req: IncomingMessage, res: ServerResponse, operationId: string): Promise<void> {
    this.counts.status++;
    const body = await readBody(req, maxBodyBytes).catch(() => Buffer.alloc(0));
    if (!this.isAuthorized(req, body)) {
      this.counts.unauthorized++;
      sendError(res, 401, "Denied", "Denied by the resource provider.");
      return;
    }
    const hidden = this.hiddenStatusReads > 0;
    if (hidden) this.hiddenStatusReads--;
    const operation = hidden ? undefined : this.operations.get(operationId.toLowerCase());
    if (operation === undefined) {
      sendError(res, 404, "NotFound", "No operation with this id.");
      return;
    }
    if (operation.status === "Running") {
      if (operation.pollsBeforeDone > 0) operation.pollsBeforeDone--;
      else operation.status = operation.outcome;
    }
    sendJson(
      res,
      200,
      operationBody(operation),
      operation.status === "Running" ? { "retry-after": "0" } : {},
    );
  }

  /** The check the service makes: the content hash matches, the date is fresh, the signature is the key's. */
  private isAuthorized(req: IncomingMessage, body: Buffer): boolean {
    const date = header(req, "x-ms-date");
    const contentHash = header(req, "x-ms-content-sha256");
    const host = header(req, "host");
    const authorization = header(req, "authorization");
    if (
      date === undefined ||
      contentHash === undefined ||
      host === undefined ||
      authorization === undefined
    ) {
      return false;
    }
    if (createHash("sha256").update(body).digest("base64") !== contentHash) return false;
    const signedAt = Date.parse(date);
    if (Number.isNaN(signedAt) || Math.abs(this.now().getTime() - signedAt) > this.maxClockSkewMs)
      return false;
    const match = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/.exec(authorization);
    if (match?.[1]?.toLowerCase() !== "x-ms-date;host;x-ms-content-sha256" || match[2] === undefined)
      return false;
    // The client signs the path and the query as URLSearchParams re-serializes it.
    const url = new URL(`http://${host}${req.url ?? "/"}`);
    const query = url.searchParams.toString();
    const pathAndQuery = query === "" ? url.pathname : `${url.pathname}?${query}`;
    const stringToSign = `${(req.method ?? "GET").toUpperCase()}\n${pathAndQuery}\n${date};${host};${contentHash}`;
    const expected = createHmac("sha256", this.accessKey).update(stringToSign).digest();
    const given = Buffer.from(match[2], "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function operationBody(operation: Operation): Record<string, unknown> {
  return {
    id: operation.id,
    status: operation.status,
    ...(operation.status === "Failed" && operation.error !== undefined ? { error: operation.error } : {}),
  };
}

type ParsedMessage = Omit<MailboxMessage, "id" | "operationId" | "receivedAt">;

/** The parts of the service's EmailMessage schema that the mailbox keeps; a string names what is wrong. */
function parseEmailMessage(body: Buffer): ParsedMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return "The body is not JSON.";
  }
  if (!isRecord(value)) return "The body must be an EmailMessage object.";
  const { senderAddress, content, recipients } = value;
  if (typeof senderAddress !== "string" || senderAddress === "") return "senderAddress is required.";
  if (!isRecord(content) || typeof content.subject !== "string") return "content.subject is required.";
  const plainText = typeof content.plainText === "string" ? content.plainText : "";
  const html = typeof content.html === "string" ? content.html : "";
  if (plainText === "" && html === "") return "content.plainText or content.html is required.";
  if (!isRecord(recipients) || !Array.isArray(recipients.to) || recipients.to.length === 0) {
    return "recipients.to needs at least one address.";
  }
  const to: MailboxAddress[] = [];
  for (const recipient of recipients.to as unknown[]) {
    if (!isRecord(recipient) || typeof recipient.address !== "string" || !recipient.address.includes("@")) {
      return "Every recipient needs an address.";
    }
    to.push({
      address: recipient.address,
      ...(typeof recipient.displayName === "string" ? { displayName: recipient.displayName } : {}),
    });
  }
  return { from: senderAddress, to, subject: content.subject, plainText, html };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" ? value : undefined;
}

const zeroCounts = { total: 0, send: 0, status: 0, unauthorized: 0, replayed: 0, inFlight: 0, expired: 0 };

function errorAnswer(
  status: number,
  code: string,
  message: string,
): { status: number; body: unknown; headers: Record<string, string> } {
  return { status, body: { error: { code, message } }, headers: { "x-ms-error-code": code } };
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message } }, { "x-ms-error-code": code, ...headers });
}

function prefersHtml(accept: string): boolean {
  const html = accept.indexOf("text/html");
  const json = accept.indexOf("application/json");
  return html !== -1 && (json === -1 || html < json);
}

/**
 * The sandbox of each mail's frame: no scripts, no same origin, no forms; the mail's one link may
 * open a new tab (outside the sandbox), so that the invitation can be followed from here.
 */
export const mailFrameSandbox = "allow-popups allow-popups-to-escape-sandbox";

/**
 * The mailbox page: each mail's HTML part rendered as the recipient would see it, in a sandboxed
 * frame whose `srcdoc` is the escaped HTML (the page's CSP also blocks every script and remote
 * load, images included), its HTML source and plain text one click away.
 */
function renderMailboxPage(messages: readonly MailboxMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map((m) => {
      const to = m.to.map((r) =>
        r.displayName !== undefined ? `${r.displayName} <${r.address}>` : r.address,
      );
      const rendered =
        m.html === ""
          ? "<p>(no HTML part)</p>"
          : `<iframe sandbox="${mailFrameSandbox}" referrerpolicy="no-referrer" title="${escapeHtml(`Mail: ${m.subject}`)}" srcdoc="${escapeHtml(m.html)}"></iframe>`;
      return [
        "<article>",
        `<h2>${escapeHtml(m.subject)}</h2>`,
        `<p class="meta"><b>To</b> ${escapeHtml(to.join(", "))} · <b>From</b> ${escapeHtml(m.from)} · <b>Received</b> ${escapeHtml(m.receivedAt)}</p>`,
        `<p class="meta"><b>Operation</b> ${escapeHtml(m.operationId)} · <b>Id</b> ${escapeHtml(m.id)}</p>`,
        rendered,
        `<details><summary>HTML source</summary><pre>${escapeHtml(m.html)}</pre></details>`,
        `<details><summary>Plain text</summary><pre>${escapeHtml(m.plainText)}</pre></details>`,
        "</article>",
      ].join("\n");
    })
    .join("\n");
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><title>Dev mailbox</title>',
    "<style>",
    "body{font-family:'Segoe UI',sans-serif;margin:2rem;background:#faf9f8;color:#323130}",
    "article{background:#fff;border:1px solid #e1dfdd;border-radius:4px;padding:1rem 1.5rem;margin:0 0 1.5rem}",
    "h2{font-size:1.1rem;margin:.2rem 0}.meta{font-size:.85rem;color:#605e5c;margin:.2rem 0}",
    "iframe{width:100%;height:640px;border:1px solid #e1dfdd;margin:.8rem 0;background:#fff}",
    "summary{cursor:pointer;margin:.3rem 0}pre{white-space:pre-wrap;word-break:break-word;background:#f3f2f1;padding:.5rem}",
    "</style>",
    "</head><body>",
    `<h1>Dev mailbox (${messages.length})</h1>`,
    messages.length === 0 ? "<p>No mail yet.</p>" : `<p>Newest first.</p>\n${rows}`,
    "</body></html>",
  ].join("\n");
}
