/**
 * Every error the API can answer, as a sentence a person understands. The API's problem details
 * carry a stable `code`; the sentence comes from it, never from the status alone, and the API's
 * own `detail` is added where it names the specific thing (a field, a permission).
 */

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly status: number;
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
}

const sentences: Readonly<Record<string, string>> = {
  validation_failed: "Some of what you entered isn't valid.",
  malformed_json: "The request couldn't be read. Reload the page and try again.",
  invalid_continuation_token: "This list can't be continued from here. Reload it to start again.",
  role_not_allowed_for_kind: "That role doesn't exist for this kind of process.",
  groups_not_supported: "Processes can be shared with people only, not with groups.",
  cannot_share_with_owner: "This person owns the process already.",
  cannot_share_with_self: "You can't share a process with yourself.",
  owner_cannot_leave: "The owner can't leave their own process.",
  invalid_expiry: "The end of access must be a date in the future, at most one year from now.",
  principal_not_found: "No one in your organization has this address.",
  principal_disabled: "This person's account is disabled.",
  duplicate_recipient: "This person is already named in this share.",
  share_failed: "Sharing with this person failed. Try again.",
  invalid_token: "Your sign-in has expired. Sign in again.",
  insufficient_scope: "Your sign-in doesn't allow this app to manage processes. Sign in again and consent.",
  forbidden: "You don't have permission to do that.",
  access_revoked: "Your access to this process was removed.",
  guest_search_restricted: "As a guest, you can only look a person up by their whole email address.",
  not_found: "This process doesn't exist any more, or you don't have access to it.",
  conflict: "Someone else changed this at the same time. Reload and try again.",
  too_many_members: "This process has as many people as it can hold.",
  too_many_recordings: "There are as many recordings as allowed. Delete some to add more.",
  recordings_not_supported: "Process mining processes don't have recordings.",
  precondition_failed: "Someone else changed this process since you opened it. Reload to see their changes.",
  payload_too_large: "That's too much text to save at once.",
  unsupported_media_type: "The request wasn't sent as JSON. Reload the page and try again.",
  too_many_requests: "That was done too often just now. Wait a little and try again.",
  internal_error: "Something went wrong on our side. Try again in a moment.",
  directory_permission_missing:
    "The service can't read your organization's directory: an administrator must grant it permission.",
  directory_request_failed: "Your organization's directory couldn't be searched. Try again.",
  directory_sign_in_failed:
    "The service couldn't sign in to your organization's directory. Tell an administrator.",
  directory_throttled: "Your organization's directory is busy. Try again in a moment.",
  directory_timeout: "Your organization's directory took too long to answer. Try again.",
  directory_unavailable: "Your organization's directory is unavailable. Try again in a moment.",
  signing_keys_unavailable: "Sign-in can't be checked right now. Try again in a moment.",
  mail_service_refused: "The email service refused the invitation.",
  mail_service_unavailable: "The email service is unavailable. Try again later.",
  cannot_transfer_to_owner: "This person owns the process already.",
  not_a_holder: "Ownership can be offered only to someone who already has access to the process.",
  no_ownership_offer: "There's no ownership offer waiting on this process any more.",
};

const byStatus: Readonly<Record<number, string>> = {
  400: "The request wasn't accepted.",
  401: sentences.invalid_token ?? "",
  403: sentences.forbidden ?? "",
  404: sentences.not_found ?? "",
  409: sentences.conflict ?? "",
  412: sentences.precondition_failed ?? "",
  413: sentences.payload_too_large ?? "",
  429: sentences.too_many_requests ?? "",
};

/** Names the API uses for fields, as a person reads them. */
const fieldNames: Readonly<Record<string, string>> = {
  name: "Name",
  description: "Description",
  kind: "Kind",
  role: "Role",
  message: "Message",
  recipients: "People",
  labels: "Labels",
  search: "Search",
};

function fieldName(field: string): string {
  const head = field.split(".")[0] ?? field;
  return fieldNames[head] ?? head;
}

/** The sentence for one problem code (a 207's per-person `error.code` too). */
export function sentenceForCode(code: string | undefined): string | undefined {
  return code === undefined ? undefined : sentences[code];
}

/** The whole message for a problem answer: the code's sentence, then what it names. */
export function describeProblem(problem: Problem): string {
  const base =
    sentenceForCode(problem.code) ??
    byStatus[problem.status] ??
    (problem.status >= 500
      ? "The service is unavailable right now. Try again in a moment."
      : "Something went wrong. Try again.");
  if (problem.code === "validation_failed" && problem.errors !== undefined && problem.errors.length > 0) {
    const details = problem.errors.map((error) =>
      error.field === "" ? error.message : `${fieldName(error.field)}: ${error.message}`,
    );
    return `${base} ${details.join("; ")}.`;
  }
  if (problem.code === "directory_permission_missing" && problem.detail !== undefined) {
    return `${base} ${problem.detail}`;
  }
  return base;
}

/** A network failure (the API not reachable, or CORS refused) in words. */
export const unreachableSentence = "The service can't be reached. Check your connection and try again.";

/** Reads a problem from an answer's status and parsed body, whatever the body was. */
export function toProblem(status: number, body: unknown): Problem {
  if (typeof body !== "object" || body === null) return { status };
  const record = body as Record<string, unknown>;
  const errors = Array.isArray(record.errors)
    ? record.errors.filter(
        (error): error is FieldError =>
          typeof error === "object" &&
          error !== null &&
          typeof (error as Record<string, unknown>).field === "string" &&
          typeof (error as Record<string, unknown>).message === "string",
      )
    : undefined;
  return {
    status,
    ...(typeof record.code === "string" ? { code: record.code } : {}),
    ...(typeof record.title === "string" ? { title: record.title } : {}),
    ...(typeof record.detail === "string" ? { detail: record.detail } : {}),
    ...(errors === undefined ? {} : { errors }),
  };
}
