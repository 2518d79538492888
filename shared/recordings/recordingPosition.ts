import { ValidationError } from "../errors.js";

/** The recordings list's opaque continuation token: the storage service's own, wrapped. */

export function encodePosition(page: string): string {
  return Buffer.from(JSON.stringify({ page })).toString("base64url");
}

/** The storage token inside; the store checks it has the SDK's envelope. */
export function decodePosition(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null) {
      const { page } = value as Record<string, unknown>;
      if (typeof page === "string") return page;
    }
  } catch {
    // fall through: a token we did not make
  }
  throw new ValidationError([
    { field: "continuationToken", message: "not a continuation token this service issued" },
  ]);
}
