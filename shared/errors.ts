/**
 * One error hierarchy for the whole app. Domain code throws these; the HTTP edge
 * (shared/http.ts) maps them once to RFC 9457 problem details with a stable `code`.
 */

export interface FieldError {
  /** Dotted path of the offending field, e.g. `recipients.2.id`; empty for the body itself. */
  readonly field: string;
  readonly message: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;

  constructor(
    readonly code: string,
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
