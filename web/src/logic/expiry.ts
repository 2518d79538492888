// Expiring access in the share panel and Manage access (issue 14): the API checks every rule;
// these only turn a picked date into `expiresAt` and an `expiresAt` into words.

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

function dateOf(at: Date): string {
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** The `expiresAt` of an "Access ends" date (`yyyy-mm-dd`): the end of that day where the browser is; none for "". */
export function expiryFromDate(date: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) return undefined;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  return new Date(year, month - 1, day, 23, 59, 59).toISOString();
}

/** The dates the picker offers: from today to a year from now, less a day (the API takes at most a year). */
export function expiryBounds(now: Date): { min: string; max: string } {
  const latest = new Date(now.getFullYear() + 1, now.getMonth(), now.getDate() - 1);
  return { min: dateOf(now), max: dateOf(latest) };
}

/** What Manage access says of a holder's expiry; nothing for a role that does not end. */
export function expiryLabel(
  entry: { readonly expiresAt?: string; readonly expired?: boolean },
  locale = "en-US",
): string | undefined {
  if (entry.expiresAt === undefined) return undefined;
  const day = new Date(entry.expiresAt).toLocaleDateString(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
  });
  return entry.expired === true ? `Access ended ${day}` : `Access ends ${day}`;
}
