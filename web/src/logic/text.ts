/** Small text helpers for the screens. */

export const messageLimit = 2000;

/** "1,234 / 2,000" under the message box, and whether it is over. */
export function characterCount(
  text: string,
  limit: number,
): { readonly label: string; readonly over: boolean } {
  const count = text.length;
  return {
    label: `${count.toLocaleString("en-US")} / ${limit.toLocaleString("en-US")}`,
    over: count > limit,
  };
}

/** Labels typed as "a, b , c" → ["a", "b", "c"], without blanks or repeats (case-insensitive). */
export function parseLabels(typed: string): string[] {
  const seen = new Set<string>();
  const labels: string[] = [];
  for (const part of typed.split(",")) {
    const label = part.trim();
    if (label === "" || seen.has(label.toLowerCase())) continue;
    seen.add(label.toLowerCase());
    labels.push(label);
  }
  return labels;
}

/** A person's initials-friendly name: the display name, else the address, else a placeholder. */
export function personName(person: {
  readonly displayName?: string | null;
  readonly email?: string | null;
}): string {
  return person.displayName ?? person.email ?? "Unknown person";
}

/** A date from the API as the reader's locale shows it. */
export function shortDate(iso: string | undefined): string {
  if (iso === undefined) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}
