import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import type { EmailClient, EmailClientOptions, EmailMessage } from "@azure/communication-email";
import { isRestError, type PipelinePolicy } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

import { azureCredential } from "../azureCredential.js";
import type { EmailConfig } from "../config.js";
import { isGuid, normalizeId } from "../domain/ids.js";
import { BadGatewayError, ServiceUnavailableError } from "../errors.js";
import { singleLine } from "./invitationEmail.js";

/**
 * The mail sender port and its Azure Communication Services adapter. The caller gives every send
 * a deterministic operation id and the time its first attempt was recorded. Every send request
 * carries the service's repeatable-request headers (`Repeatability-Request-Id`, derived from the
 * operation id, and `Repeatability-First-Sent`, that first time), added by a pipeline policy on
 * the SDK client: Communication Services documents that a repeat inside its 5-minute window
 * answers as the first request did and sends nothing (409 while the first is still in flight,
 * 412 once the window is over). Past the window, the caller's look-up of the operation id comes
 * first, so a repeat is only ever sent for an operation the service does not know.
 */

export interface OutgoingMail {
  readonly to: { readonly address: string; readonly displayName?: string };
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
}

export type SendOutcome =
  | { readonly status: "sent"; readonly operationId: string }
  | { readonly status: "failed"; readonly operationId: string; readonly reason: string };

export interface MailSender {
  /**
   * Sends as a repeatable request and waits for the outcome. `firstSentAt` is when this operation
   * was first attempted (kept by the caller across retries and redeliveries). Throws
   * `MailServiceUnavailableError` (transient: let the queue retry; `MailRepeatExpiredError` when
   * the repeat window is over) or `MailServiceRefusedError` (the service refused the request).
   */
  send(mail: OutgoingMail, operationId: string, firstSentAt: Date): Promise<SendOutcome>;
  /** Status of an earlier send by operation id, without sending. */
  lookup(operationId: string): Promise<SendOutcome | "unknown" | "running">;
}

/** The mail service is throttling or failing; the send may succeed later (the queue retries it). */
export class MailServiceUnavailableError extends ServiceUnavailableError {
  constructor(
    message: string,
    /** The service's `Retry-After`, when it gave one. */
    override readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super("mail_service_unavailable", message, options);
  }
}

/**
 * The service answered 412 to a repeat: its first attempt is older than the service's 5-minute
 * repeat window, so the service can no longer tell whether it ran it. Look the operation up; only
 * an operation the service does not know may be sent again, with a new first-sent time.
 */
export class MailRepeatExpiredError extends MailServiceUnavailableError {
  constructor(operationId: string, options?: ErrorOptions) {
    super(`The repeat window of the mail operation ${operationId} is over (412).`, undefined, options);
  }
}

/** The mail service refused the request itself (bad key, bad request): retrying the same request will not help. */
export class MailServiceRefusedError extends BadGatewayError {
  constructor(
    readonly serviceStatus: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super("mail_service_refused", message, options);
  }
}

export interface MailSenderTuning {
  /** Tries of one send, counting the first: 429 and 5xx answers are retried until then. */
  readonly maxAttempts?: number;
  /** A `Retry-After` longer than this is not waited out here: the queue retries later instead. */
  readonly maxRetryAfterSeconds?: number;
  /** Wait after the first 5xx or lost connection; doubled after each next one. */
  readonly serverErrorBackoffMs?: number;
  /** Wait between operation status polls when the service does not say. */
  readonly pollIntervalMs?: number;
  /** How long one send waits for its operation to end before giving the message back to the queue. */
  readonly maxOperationWaitMs?: number;
  /** Managed identity in Azure; defaults to `DefaultAzureCredential`. */
  readonly credential?: TokenCredential;
}

const defaults = {
  maxAttempts: 4,
  maxRetryAfterSeconds: 30,
  serverErrorBackoffMs: 1000,
  pollIntervalMs: 1000,
  maxOperationWaitMs: 60_000,
} as const;

/** The client's own api-version (1.1.0); the status route is addressed with the same one. */
const apiVersion = "2025-09-01";
const reasonLimit = 500;

/**
 * By connection string locally, by endpoint and managed identity in Azure. The settings are
 * checked now; the mail SDK is loaded by the first send, since only the invitation sender needs it.
 */
export function createMailSender(config: EmailConfig, tuning: MailSenderTuning = {}): MailSender {
  if (config.connectionString !== undefined) {
    const connectionString = config.connectionString;
    const endpoint = /endpoint=([^;]+);/i.exec(connectionString)?.[1];
    if (endpoint === undefined)
      throw new Error("EMAIL_CONNECTION_STRING: expected endpoint=...;accesskey=...");
    const firstSent = new FirstSentRegistry();
    const options = clientOptions("EMAIL_CONNECTION_STRING", endpoint, firstSent);
    const client = async () =>
      new (await import("@azure/communication-email")).EmailClient(connectionString, options);
    return new AcsMailSender(client, endpoint, config.senderAddress, tuning, firstSent);
  }
  if (config.endpoint !== undefined) {
    const endpoint = config.endpoint;
    const firstSent = new FirstSentRegistry();
    const options = clientOptions("EMAIL_ENDPOINT", endpoint, firstSent);
    const credential = tuning.credential ?? azureCredential();
    const client = async () =>
      new (await import("@azure/communication-email")).EmailClient(endpoint, credential, options);
    return new AcsMailSender(client, endpoint, config.senderAddress, tuning, firstSent);
  }
  throw new Error("Set EMAIL_CONNECTION_STRING or EMAIL_ENDPOINT.");
}

function clientOptions(setting: string, endpoint: string, firstSent: FirstSentRegistry): EmailClientOptions {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`${setting}: the endpoint '${endpoint}' is not a URL.`);
  }
  if (url.pathname !== "/" || url.search !== "") {
    // The client refuses an endpoint with a path (communication-common assertValidEndpoint).
    throw new Error(`${setting}: the endpoint must be an origin without a path, such as ${url.origin}/.`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(
      `${setting}: the endpoint must be https (plain http only to a stand-in on this machine).`,
    );
  }
  return {
    allowInsecureConnection: url.protocol === "http:",
    // This adapter owns retries (bounded Retry-After, then the queue); the SDK's own would multiply them.
    retryOptions: { maxRetries: 0 },
    // Per call: once per send attempt, before the client signs the request.
    additionalPolicies: [{ policy: repeatableSendPolicy(firstSent), position: "perCall" }],
  };
}

/**
 * When each operation in flight through this client was first attempted, for the pipeline policy;
 * counted, so that two sends of one operation at once in this process keep it until both end.
 */
export class FirstSentRegistry {
  private readonly entries = new Map<string, { at: Date; users: number }>();

  async with<T>(operationId: string, at: Date, run: () => Promise<T>): Promise<T> {
    const key = operationId.toLowerCase();
    const entry = this.entries.get(key) ?? { at, users: 0 };
    entry.users++;
    this.entries.set(key, entry);
    try {
      return await run();
    } finally {
      if (--entry.users === 0) this.entries.delete(key);
    }
  }

  get(operationId: string): Date | undefined {
    return this.entries.get(operationId.toLowerCase())?.at;
  }
}

export const repeatableSendPolicyName = "repeatableEmailSend";

/**
 * Makes every `POST .../emails:send` a repeatable request, as Communication Services documents
 * them: `Repeatability-Request-Id` derived from the request's `Operation-Id` (so from the
 * invitation), `Repeatability-First-Sent` the IMF-fixdate of the operation's first attempt.
 */
export function repeatableSendPolicy(firstSent: FirstSentRegistry): PipelinePolicy {
  return {
    name: repeatableSendPolicyName,
    async sendRequest(request, next) {
      const operationId = request.headers.get("operation-id");
      if (request.method === "POST" && new URL(request.url).pathname.endsWith("/emails:send")) {
        if (operationId === undefined || !isGuid(operationId)) {
          throw new Error("A mail send needs a GUID Operation-Id to be sent as a repeatable request.");
        }
        const at = firstSent.get(operationId);
        if (at === undefined) throw new Error(`No first-sent time for the mail operation ${operationId}.`);
        request.headers.set("Repeatability-Request-Id", repeatabilityRequestId(operationId));
        request.headers.set("Repeatability-First-Sent", at.toUTCString());
      }
      return await next(request);
    },
  };
}

type Settings = Required<Omit<MailSenderTuning, "credential">>;

export class AcsMailSender implements MailSender {
  private readonly settings: Settings;
  private emailClient: Promise<EmailClient> | undefined;

  constructor(
    private readonly openClient: () => Promise<EmailClient>,
    private readonly endpoint: string,
    private readonly senderAddress: string,
    tuning: MailSenderTuning = {},
    private readonly firstSent: FirstSentRegistry = new FirstSentRegistry(),
  ) {
    this.settings = {
      maxAttempts: tuning.maxAttempts ?? defaults.maxAttempts,
      maxRetryAfterSeconds: tuning.maxRetryAfterSeconds ?? defaults.maxRetryAfterSeconds,
      serverErrorBackoffMs: tuning.serverErrorBackoffMs ?? defaults.serverErrorBackoffMs,
      pollIntervalMs: tuning.pollIntervalMs ?? defaults.pollIntervalMs,
      maxOperationWaitMs: tuning.maxOperationWaitMs ?? defaults.maxOperationWaitMs,
    };
  }

  private client(): Promise<EmailClient> {
    this.emailClient ??= this.openClient();
    return this.emailClient;
  }

  async send(mail: OutgoingMail, operationId: string, firstSentAt: Date): Promise<SendOutcome> {
    assertOperationId(operationId);
    if (Number.isNaN(firstSentAt.getTime())) throw new Error("firstSentAt is not a date.");
    const message = this.toEmailMessage(mail);
    return await this.firstSent.with(operationId, firstSentAt, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.sendOnce(message, operationId);
        } catch (error) {
          await sleep(this.retryDelayMs(error, attempt, operationId));
        }
      }
    });
  }

  async lookup(operationId: string): Promise<SendOutcome | "unknown" | "running"> {
    assertOperationId(operationId);
    // A poller resumed at the operation's status route polls it without sending anything.
    const operationLocation = new URL(
      `emails/operations/${operationId}?api-version=${apiVersion}`,
      this.endpoint.endsWith("/") ? this.endpoint : `${this.endpoint}/`,
    ).href;
    const resumeFrom = JSON.stringify({
      state: { status: "running", config: { metadata: { mode: "OperationLocation" }, operationLocation } },
    });
    const observed = new OperationObserver();
    try {
      await (
        await this.client()
      ).beginSend(
        { senderAddress: this.senderAddress, content: { subject: "", plainText: "" }, recipients: {} },
        { resumeFrom, onResponse: observed.record },
      );
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return "unknown";
      const failure = observed.failure(operationId);
      if (failure !== undefined) return failure;
      throw mapServiceError(error, operationId);
    }
    return observed.outcome(operationId) ?? "running";
  }

  private async sendOnce(message: EmailMessage, operationId: string): Promise<SendOutcome> {
    const observed = new OperationObserver();
    try {
      const poller = await (
        await this.client()
      ).beginSend(message, {
        operationId,
        updateIntervalInMs: this.settings.pollIntervalMs,
        onResponse: observed.record,
      });
      await poller.pollUntilDone({ abortSignal: AbortSignal.timeout(this.settings.maxOperationWaitMs) });
    } catch (error) {
      const failure = observed.failure(operationId);
      if (failure !== undefined) return failure;
      if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
        throw new MailServiceUnavailableError(
          `The mail operation ${operationId} did not end within ${this.settings.maxOperationWaitMs} ms.`,
          undefined,
          { cause: error },
        );
      }
      throw error;
    }
    const outcome = observed.outcome(operationId);
    if (outcome === undefined) {
      throw new MailServiceUnavailableError(`The mail operation ${operationId} ended without a status.`);
    }
    return outcome;
  }

  /** How long to wait before the next try; throws when the send should go back to the queue or fail. */
  private retryDelayMs(error: unknown, attempt: number, operationId: string): number {
    const mapped = mapServiceError(error, operationId);
    // A repeat past its window is refused again however often it is asked: the caller decides.
    if (!(mapped instanceof MailServiceUnavailableError) || mapped instanceof MailRepeatExpiredError)
      throw mapped;
    const retryAfter = mapped.retryAfterSeconds;
    if (attempt >= this.settings.maxAttempts) throw mapped;
    if (retryAfter !== undefined) {
      if (retryAfter > this.settings.maxRetryAfterSeconds) throw mapped;
      return retryAfter * 1000;
    }
    return this.settings.serverErrorBackoffMs * 2 ** (attempt - 1);
  }

  /** Only our configured sender, the rendered content and one recipient: no headers, no reply-to. */
  private toEmailMessage(mail: OutgoingMail): EmailMessage {
    const displayName = mail.to.displayName === undefined ? "" : singleLine(mail.to.displayName);
    return {
      senderAddress: this.senderAddress,
      content: { subject: singleLine(mail.subject), plainText: mail.plainText, html: mail.html },
      recipients: {
        to: [{ address: singleLine(mail.to.address), ...(displayName === "" ? {} : { displayName }) }],
      },
      disableUserEngagementTracking: true,
    };
  }
}

/** Watches the operation's responses, since a `Failed` operation surfaces from the poller only as a message. */
class OperationObserver {
  private last: { status?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;

  readonly record = (response: { parsedBody?: unknown }): void => {
    const body = response.parsedBody;
    if (typeof body === "object" && body !== null && "status" in body) this.last = body;
  };

  outcome(operationId: string): SendOutcome | undefined {
    switch (this.last?.status) {
      case "Succeeded":
        return { status: "sent", operationId };
      case "Failed":
      case "Canceled":
        return this.failure(operationId);
      default:
        return undefined;
    }
  }

  failure(operationId: string): SendOutcome | undefined {
    const status = this.last?.status;
    if (status !== "Failed" && status !== "Canceled") return undefined;
    const code = typeof this.last?.error?.code === "string" ? this.last.error.code : status;
    const message = typeof this.last?.error?.message === "string" ? this.last.error.message : "";
    const reason = singleLine(message === "" ? code : `${code}: ${message}`).slice(0, reasonLimit);
    return { status: "failed", operationId, reason };
  }
}

function mapServiceError(error: unknown, operationId: string): Error {
  if (error instanceof MailServiceUnavailableError || error instanceof MailServiceRefusedError) return error;
  if (!isRestError(error)) return error instanceof Error ? error : new Error(String(error));
  const status = error.statusCode;
  // Repeatable requests: 409 while the first request with this id is still in flight (ask again
  // shortly, it then answers as the first did); 412 once the repeat window is over.
  if (status === 409) {
    return new MailServiceUnavailableError(
      `The first request of the mail operation ${operationId} is still in flight (409).`,
      retryAfterSeconds(error.response?.headers.get("retry-after")),
      { cause: error },
    );
  }
  if (status === 412) return new MailRepeatExpiredError(operationId, { cause: error });
  if (status === undefined || status === 429 || status >= 500) {
    return new MailServiceUnavailableError(
      status === undefined
        ? `The mail service could not be reached (${error.code ?? "no answer"}).`
        : `The mail service answered ${status}.`,
      retryAfterSeconds(error.response?.headers.get("retry-after")),
      { cause: error },
    );
  }
  return new MailServiceRefusedError(status, `The mail service refused the request (${status}).`, {
    cause: error,
  });
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterSeconds(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function assertOperationId(operationId: string): void {
  if (!isGuid(operationId)) throw new Error(`A mail operation id must be a GUID, not '${operationId}'.`);
}

/** Our namespace for repeatable-request ids (a fixed random UUID; never change it). */
const repeatabilityNamespace = "c4b1e0a2-5f37-4d6e-8a90-13f2b7d6e5c8";

/** The `Repeatability-Request-Id` of a send: a name-based UUID of its operation id, so one per invitation send. */
export function repeatabilityRequestId(operationId: string): string {
  assertOperationId(operationId);
  return uuidV5(`repeatability/${operationId.toLowerCase()}`, repeatabilityNamespace);
}

/** Our namespace for name-based invitation operation ids (a fixed random UUID; never change it). */
const invitationNamespace = "7d3c2f61-4a0e-4b8f-9d15-2e6b8c0a4f93";

/**
 * The operation id of an invitation's send: a name-based UUID (version 5, SHA-1) of the
 * invitation id and the re-send attempt, so that a redelivered message reuses the same id and a
 * deliberate re-send gets a new one.
 */
export function invitationOperationId(invitationId: string, attempt = 0): string {
  if (!Number.isSafeInteger(attempt) || attempt < 0) {
    throw new Error(`A re-send attempt is a whole number from 0, not ${attempt}.`);
  }
  return uuidV5(`invitation/${normalizeId(invitationId)}/${attempt}`, invitationNamespace);
}

export function uuidV5(name: string, namespace: string): string {
  const bytes = createHash("sha1")
    .update(Buffer.from(namespace.replace(/-/g, ""), "hex"))
    .update(name, "utf8")
    .digest()
    .subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
