import { sentenceForCode } from "./problems.js";

/** One person's outcome of a share (`POST /api/processes/{id}/access`). */
export interface ShareResult {
  readonly recipient: { readonly id?: string; readonly email?: string };
  readonly principalId?: string;
  readonly status: "granted" | "updated" | "unchanged" | "failed";
  readonly error?: { readonly code?: string; readonly detail?: string; readonly message?: string };
}

export interface ShareLine {
  /** The person as the sharer picked them. */
  readonly who: string;
  readonly ok: boolean;
  readonly text: string;
}

/**
 * Each person's result in words, in request order. `names` maps what was sent (an id or an
 * address) to the name the sharer saw in the picker.
 */
export function describeShareResults(
  results: readonly ShareResult[],
  names: ReadonlyMap<string, string>,
): ShareLine[] {
  return results.map((result) => {
    const key = result.recipient.id ?? result.recipient.email ?? "";
    const who = names.get(key) ?? key;
    switch (result.status) {
      case "granted":
        return { who, ok: true, text: "now has access" };
      case "updated":
        return { who, ok: true, text: "has a new role" };
      case "unchanged":
        return { who, ok: true, text: "already had this role: nothing changed" };
      default:
        return {
          who,
          ok: false,
          text: sentenceForCode(result.error?.code) ?? "couldn't be given access. Try again.",
        };
    }
  });
}

/** The summary line above the per-person results. */
export function shareSummary(lines: readonly ShareLine[]): string {
  const failed = lines.filter((line) => !line.ok).length;
  if (failed === 0) return lines.length === 1 ? "Shared." : `Shared with ${lines.length} people.`;
  if (failed === lines.length) return lines.length === 1 ? "Not shared." : "Not shared with anyone.";
  return `Shared with ${lines.length - failed} of ${lines.length} people; ${failed} failed.`;
}
