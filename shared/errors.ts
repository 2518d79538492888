/**
 * One error hierarchy for the whole app. Domain code throws these; the HTTP edge
 * (shared/http.ts) maps them once to RFC 9457 problem details with a stable `code`.
 *
 * Every `code` the API can answer is registered here, with its status and what it means: an
 * error cannot be made with a code that is not, and test/unit/problemCodes.test.ts holds the
 * OpenAPI definition and the README's table to this list.
 */

interface ProblemCodeEntry {
  readonly status: number;
  readonly meaning: string;
}

/** The API's problem codes: what clients act on, in the order the README's table shows them. */
export const problemCodes = {
  validation_failed: { status: 400, meaning: "a field (named in `errors[]`) is missing, unknown or invalid" },
  malformed_json: { status: 400, meaning: "the body is not valid JSON" },
  invalid_continuation_token: {
    status: 400,
    meaning: "a continuation token that is forged, altered, another caller's or list's, or over 24 hours old",
  },
  invalid_expiry: {
    status: 400,
    meaning: "an `expiresAt` in the past, more than a year ahead, or a `notifyBeforeExpiry` without one",
  },
  role_not_allowed_for_kind: { status: 400, meaning: "the role does not exist for this kind of process" },
  groups_not_supported: {
    status: 400,
    meaning: "a share recipient is a group (in a share result, or all failed)",
  },
  cannot_share_with_owner: { status: 400, meaning: "the owner's role cannot be granted, changed or revoked" },
  cannot_share_with_self: { status: 400, meaning: "the caller cannot change their own role" },
  owner_cannot_leave: {
    status: 400,
    meaning: "the owner cannot leave their own process (delete it instead)",
  },
  cannot_transfer_to_owner: {
    status: 400,
    meaning: "ownership offered to the person who already owns the process",
  },
  not_a_holder: {
    status: 400,
    meaning: "ownership offered to someone who holds no role on the process (or a revoked or expired one)",
  },
  principal_not_found: { status: 400, meaning: "no user of the organization matches a share recipient" },
  principal_disabled: { status: 400, meaning: "a share recipient's account is disabled" },
  duplicate_recipient: {
    status: 400,
    meaning: "a share recipient named earlier in the same request (in a share result)",
  },
  share_failed: {
    status: 400,
    meaning: "every recipient of a share failed, for different reasons (see `value`)",
  },
  invalid_token: {
    status: 401,
    meaning: "no, an expired or an invalid access token (with `WWW-Authenticate`)",
  },
  insufficient_scope: { status: 403, meaning: "the token lacks the required delegated scope" },
  forbidden: { status: 403, meaning: "the caller's role or rights do not allow this (or an app-only token)" },
  access_revoked: { status: 403, meaning: "the caller's role on this process was revoked or has expired" },
  guest_search_restricted: {
    status: 403,
    meaning: "a guest searched people beyond what `USERS_GUEST_SEARCH` allows",
  },
  not_found: {
    status: 404,
    meaning:
      "no such process, holder or recording, one the caller may not know exists, or an unknown route or method",
  },
  conflict: { status: 409, meaning: "concurrent changes kept winning the race; try again" },
  no_ownership_offer: {
    status: 409,
    meaning: "no ownership offer waits on the process to be withdrawn or answered",
  },
  too_many_members: { status: 409, meaning: "the process holds as many members as it may (500)" },
  too_many_recordings: {
    status: 409,
    meaning: "the process, or the caller in it, holds as many recordings as allowed",
  },
  recordings_not_supported: { status: 409, meaning: "process mining processes have no recordings" },
  precondition_failed: { status: 412, meaning: "`If-Match` names a version that is no longer current" },
  payload_too_large: { status: 413, meaning: "the body is over the size limit" },
  unsupported_media_type: { status: 415, meaning: "the body is not sent as `application/json`" },
  too_many_requests: {
    status: 429,
    meaning: "an invitation re-sent within the cooldown (with `Retry-After`)",
  },
  internal_error: { status: 500, meaning: "an unexpected failure (logged; nothing of it is answered)" },
  directory_permission_missing: {
    status: 502,
    meaning: "Microsoft Graph refused the app: a permission lacks consent (the detail names it)",
  },
  directory_request_failed: { status: 502, meaning: "Microsoft Graph refused a request" },
  directory_sign_in_failed: { status: 502, meaning: "the app could not sign in to Microsoft Graph" },
  mail_service_refused: { status: 502, meaning: "the email service refused an invitation" },
  directory_throttled: {
    status: 503,
    meaning: "Microsoft Graph throttled the app for too long (with `Retry-After`)",
  },
  directory_timeout: { status: 503, meaning: "Microsoft Graph did not answer in time" },
  directory_unavailable: { status: 503, meaning: "Microsoft Graph is unavailable (with `Retry-After`)" },
  signing_keys_unavailable: {
    status: 503,
    meaning: "Entra's signing keys cannot be fetched to check a token",
  },
  mail_service_unavailable: { status: 503, meaning: "the email service is unavailable (with `Retry-After`)" },
} as const satisfies Record<string, ProblemCodeEntry>;

/** Codes of the local development contract only (the dev identity provider), never the API's. */
export const devProblemCodes = {
  unknown_user: { status: 400, meaning: "dev identity provider: no dev user has that alias or id" },
  account_disabled: { status: 400, meaning: "dev identity provider: that dev user's account is disabled" },
  method_not_allowed: { status: 405, meaning: "dev identity provider: a method its route does not take" },
} as const satisfies Record<string, ProblemCodeEntry>;

export type ApiProblemCode = keyof typeof problemCodes;
export type ProblemCode = ApiProblemCode | keyof typeof devProblemCodes;

export function isProblemCode(code: string): code is ApiProblemCode {
  return Object.hasOwn(problemCodes, code);
}

export interface FieldError {
  /** Dotted path of the offending field, e.g. `recipients.2.id`; empty for the body itself. */
  readonly field: string;
  readonly message: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;

  constructor(
    readonly code: ProblemCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Extra response headers this error asks for (e.g. `WWW-Authenticate`, `Retry-After`). */
  headers(): Record<string, string> {
    return {};
  }

  toProblem(): ProblemDetails {
    return {
      type: "about:blank",
      title: this.title,
      status: this.status,
      code: this.code,
      detail: this.message,
    };
  }
}

export class BadRequestError extends AppError {
  readonly status = 400;
  readonly title = "Bad Request";
}

/** A continuation token this service did not issue to this caller for this list, or a stale one. */
export function invalidContinuationToken(): BadRequestError {
  return new BadRequestError(
    "invalid_continuation_token",
    "The continuation token is not one this service issued to you for this list.",
  );
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly title = "Bad Request";

  constructor(
    readonly errors: readonly FieldError[],
    message = "The request is not valid.",
  ) {
    super("validation_failed", message);
  }

  override toProblem(): ProblemDetails {
    return { ...super.toProblem(), errors: this.errors };
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly title = "Unauthorized";

  constructor(message: string, options?: ErrorOptions) {
    super("invalid_token", message, options);
  }

  override headers(): Record<string, string> {
    // The description is ours, never the token's text: quotes and CR/LF are stripped for the header.
    const description = this.message.replace(/["\\\r\n]/g, "");
    return { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${description}"` };
  }
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly title = "Forbidden";
}

export class InsufficientScopeError extends ForbiddenError {
  constructor(readonly scope: string) {
    super("insufficient_scope", `The token does not carry the required scope '${scope}'.`);
  }

  override headers(): Record<string, string> {
    return { "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${this.scope}"` };
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly title = "Not Found";

  constructor(message = "The process does not exist.") {
    super("not_found", message);
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly title = "Conflict";
}

export class PreconditionFailedError extends AppError {
  readonly status = 412;
  readonly title = "Precondition Failed";

  constructor(message = "The resource was changed since it was read; read it again and retry.") {
    super("precondition_failed", message);
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly title = "Payload Too Large";

  constructor(limitBytes: number) {
    super("payload_too_large", `The request body is larger than ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly title = "Unsupported Media Type";

  constructor() {
    super("unsupported_media_type", "The request body must be JSON (content-type: application/json).");
  }
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly title = "Too Many Requests";

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("too_many_requests", message);
  }

  override headers(): Record<string, string> {
    return { "Retry-After": String(Math.max(1, Math.ceil(this.retryAfterSeconds))) };
  }
}

/** An outside dependency (Graph, the mail service) refused or failed in a way the operator must fix. */
export class BadGatewayError extends AppError {
  readonly status = 502;
  readonly title = "Bad Gateway";
}

export class ServiceUnavailableError extends AppError {
  readonly status = 503;
  readonly title = "Service Unavailable";
  /** How long the dependency asked us to wait, when it said; otherwise a short default. */
  readonly retryAfterSeconds?: number;

  override headers(): Record<string, string> {
    return { "Retry-After": String(Math.max(1, Math.ceil(this.retryAfterSeconds ?? 5))) };
  }
}

/** Raised by storage adapters when a conditional write loses a race (HTTP 409/412 from Table Storage). */
export class ConcurrencyError extends Error {
  constructor(message = "A concurrent change won the race.", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConcurrencyError";
  }
}
