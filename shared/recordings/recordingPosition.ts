import { isGuid } from "../domain/ids.js";
import { ValidationError } from "../errors.js";

/** The recordings list's opaque continuation token: the id of the last recording of the previous page. */

export function encodePosition(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString("base64url");
}

export function decodePosition(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null) {
      const { after } = value as Record<string, unknown>;
      if (typeof after === "string" && isGuid(after)) return after.toLowerCase();
    }
  } catch {
    // fall through: a token we did not make
  }
  throw new ValidationError([
    { field: "continuationToken", message: "not a continuation token this service issued" },
  ]);
}
