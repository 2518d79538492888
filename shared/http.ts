import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";

import { getServices, type Services } from "./composition.js";
import type { Caller, Page } from "./domain/model.js";
import {
  AppError,
  BadRequestError,
  type FieldError,
  invalidContinuationToken,
  PayloadTooLargeError,
  type ProblemDetails,
  UnsupportedMediaTypeError,
  ValidationError,
} from "./errors.js";
import { calledUrl } from "./openapi/deployment.js";
import type { Clock } from "./ports.js";

/**
 * The HTTP edge. Function handlers are thin: `authenticated(...)` resolves the caller from the
 * token before anything else runs, and every error is mapped here, once, to problem+json.
 */

export interface AnonymousCall {
  readonly request: HttpRequest;
  readonly context: InvocationContext;
  readonly services: Services;
}

export interface AuthenticatedCall extends AnonymousCall {
  readonly caller: Caller;
}

export type FunctionHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** Largest JSON body accepted (a share of 100 recipients and a 2,000-character message fits easily). */
export const maxBodyBytes = 64 * 1024;

/**
 * On every answer: never cached (it is one caller's data), and the headers a browser front end
 * must read exposed to it (Azure's platform CORS allows origins but cannot expose headers).
 */
const commonHeaders = {
  "Cache-Control": "no-store",
  "Access-Control-Expose-Headers": "ETag, Location, Retry-After, WWW-Authenticate",
} as const;

export function authenticated(
  handler: (call: AuthenticatedCall) => Promise<HttpResponseInit>,
): FunctionHandler {
  return async (request, context) => {
    try {
      const services = getServices();
      const caller = await services.tokenValidator.authenticate(request.headers.get("authorization"));
      await services.ready();
      return await handler({ request, context, services, caller });
    } catch (error) {
      return problemResponse(error, context);
    }
  };
}

export function anonymous(handler: (call: AnonymousCall) => Promise<HttpResponseInit>): FunctionHandler {
  return async (request, context) => {
    try {
      return await handler({ request, context, services: getServices() });
    } catch (error) {
      return problemResponse(error, context);
    }
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { ...commonHeaders, ...headers } };
}

export function noContent(): HttpResponseInit {
  return { status: 204, headers: { ...commonHeaders } };
}

export function problemResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  const appError = error instanceof AppError ? error : undefined;
  if (appError === undefined) {
    // Logged with the invocation id; the caller gets a bare 500 that leaks nothing.
    context.error(`Unhandled error in ${context.functionName} (invocation ${context.invocationId})`, error);
    const problem: ProblemDetails = {
      type: "about:blank",
      title: "Internal Server Error",
      status: 500,
      code: "internal_error",
    };
    return {
      status: 500,
      jsonBody: problem,
      headers: { ...commonHeaders, "Content-Type": "application/problem+json" },
    };
  }
  if (appError.status >= 500) context.warn(`${appError.code}: ${appError.message}`);
  return {
    status: appError.status,
    jsonBody: appError.toProblem(),
    headers: { ...commonHeaders, ...appError.headers(), "Content-Type": "application/problem+json" },
  };
}

/** Reads a JSON body: JSON content type, at most `maxBodyBytes`, and a strict schema. */
export async function readJsonBody<Schema extends z.ZodType>(
  request: HttpRequest,
  schema: Schema,
): Promise<z.infer<Schema>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.byteLength > maxBodyBytes) throw new PayloadTooLargeError(maxBodyBytes);
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new BadRequestError("malformed_json", "The request body is not valid JSON.");
  }
  return parseWith(schema, body);
}

/** Reads the query string against a strict schema (unknown parameters are refused too). */
export function parseQuery<Schema extends z.ZodType>(request: HttpRequest, schema: Schema): z.infer<Schema> {
  const query: Record<string, string> = {};
  for (const [name, value] of request.query.entries()) {
    if (name in query) throw new ValidationError([{ field: name, message: "given more than once" }]);
    query[name] = value;
  }
  return parseWith(schema, query);
}

/** Route parameters are validated like any other input. */
export function parseParams<Schema extends z.ZodType>(request: HttpRequest, schema: Schema): z.infer<Schema> {
  return parseWith(schema, { ...request.params });
}

export function parseWith<Schema extends z.ZodType>(schema: Schema, value: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError(parsed.error.issues.map(toFieldError));
}

function toFieldError(issue: z.core.$ZodIssue): FieldError {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    return { field: [...path, ...issue.keys].join("."), message: "is not a known field" };
  }
  return { field: path.join("."), message: issue.message };
}

// ---- paging: one sealed codec, nextLink and page bodies ------------------------------------------

/** What a continuation token is bound to: who asked, which list, of which resource. */
export interface PageBinding {
  readonly callerId: string;
  /** The list it pages, e.g. `processes`, `audit`. */
  readonly route: string;
  /** The resource whose list it is (a process id), or "" for the caller's own list. */
  readonly resource: string;
}

/** How long a continuation token stays good. */
const tokenLifetimeMs = 24 * 60 * 60 * 1000;

/**
 * Continuation tokens are sealed with AES-256-GCM under `PAGING_TOKEN_KEY`: the position inside
 * is unreadable and unforgeable, and the binding (caller, route, resource) is authenticated with
 * it, so a token works only for the caller and the list it was issued for. Anything else —
 * forged, altered, foreign, expired, or sealed under another key — is 400 `invalid_continuation_token`.
 */
export class PagingCodec {
  private readonly key: Buffer;

  constructor(
    keyBase64: string,
    private readonly clock: Clock,
  ) {
    this.key = Buffer.from(keyBase64, "base64");
  }

  seal(binding: PageBinding, position: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(JSON.stringify(binding)));
    const body = JSON.stringify({ p: position, e: this.clock.now().getTime() + tokenLifetimeMs });
    const sealed = Buffer.concat([cipher.update(body, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url");
  }

  open(binding: PageBinding, token: string): unknown {
    try {
      const bytes = Buffer.from(token, "base64url");
      if (bytes.length < 29 || bytes.toString("base64url") !== token) throw new Error("not base64url");
      const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(JSON.stringify(binding)));
      decipher.setAuthTag(bytes.subarray(12, 28));
      const text = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
      const { p, e } = JSON.parse(text) as { p: unknown; e: number };
      if (typeof e !== "number" || e < this.clock.now().getTime()) throw new Error("expired");
      return p;
    } catch {
      throw invalidContinuationToken();
    }
  }
}

/** The position a sealed `continuationToken` holds, or undefined on a first page. */
export function openPosition(
  call: AuthenticatedCall,
  binding: Omit<PageBinding, "callerId">,
  token?: string,
): unknown {
  if (token === undefined) return undefined;
  return call.services.paging.open({ callerId: call.caller.id, ...binding }, token);
}

/**
 * The position of a list whose next page is the storage service's own continuation (a string,
 * opaque: Cosmos DB for Table shapes its own), or undefined on a first page.
 */
export function openStoragePosition(
  call: AuthenticatedCall,
  binding: Omit<PageBinding, "callerId">,
  token?: string,
): string | undefined {
  const position = openPosition(call, binding, token);
  if (position !== undefined && typeof position !== "string") throw invalidContinuationToken();
  return position;
}

/** `{value, nextLink?}`, the next position sealed for this caller and this list. */
export function pageBody<T>(
  call: AuthenticatedCall,
  binding: Omit<PageBinding, "callerId">,
  top: number,
  page: Page<T> & { readonly next?: unknown },
  /** Query parameters the next page needs besides `top` and the token (a list's filter). */
  query: Readonly<Record<string, string>> = {},
): { value: readonly T[]; nextLink?: string } {
  const next = page.next ?? page.continuationToken;
  if (next === undefined) return { value: page.items };
  const token = call.services.paging.seal({ callerId: call.caller.id, ...binding }, next);
  return { value: page.items, nextLink: nextLink(call.request, top, token, query) };
}

/** The next page's absolute URL, on the host that was called (Power Automate follows only absolute links). */
export function nextLink(
  request: HttpRequest,
  top: number,
  continuationToken: string,
  query: Readonly<Record<string, string>> = {},
): string {
  const url = calledUrl(request);
  url.search = new URLSearchParams({ ...query, top: String(top), continuationToken }).toString();
  url.hash = "";
  return url.href;
}
