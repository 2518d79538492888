/**
 * The API pages lists with a `nextLink` relative to its host. The next page is fetched from the
 * API's own origin only: a link that points anywhere else is refused, so that a bearer token is
 * never sent to another host.
 */

export interface Page<T> {
  readonly value: readonly T[];
  readonly nextLink?: string;
}

/** The absolute URL of the next page, or undefined on the last page. */
export function nextPageUrl(apiBaseUrl: string, page: Page<unknown>): string | undefined {
  if (page.nextLink === undefined || page.nextLink === "") return undefined;
  const base = new URL(apiBaseUrl);
  const next = new URL(page.nextLink, base);
  if (next.origin !== base.origin) {
    throw new Error(`The next page's link leaves the API's origin: ${next.origin}`);
  }
  return next.href;
}

/** The items of a new page appended to those already shown, without showing one twice. */
export function appendPage<T extends { readonly id: string }>(shown: readonly T[], page: Page<T>): T[] {
  const seen = new Set(shown.map((item) => item.id));
  return [...shown, ...page.value.filter((item) => !seen.has(item.id))];
}
