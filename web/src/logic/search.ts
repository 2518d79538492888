/** The people picker's typed text: when to ask the directory, and when it is an address to share with as typed. */

export const minSearchLength = 2;
export const maxSearchLength = 100;
export const searchDelayMs = 250;

/** The text to search for, or undefined while it is too short (or too long) to ask. */
export function searchTerm(typed: string): string | undefined {
  const term = typed.trim();
  return term.length >= minSearchLength && term.length <= maxSearchLength ? term : undefined;
}

/** A whole address (one @, a dot in the domain, no spaces): offered as "Share with this address". */
export function looksLikeEmail(typed: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(typed.trim()) && typed.trim().length <= 320;
}
