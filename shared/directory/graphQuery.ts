/**
 * Microsoft Graph query text. User input only ever reaches Graph through these helpers, so that
 * a quote, backslash, `$`, `&` or `#` in a name or address cannot change the query's meaning.
 */

/** One `$search` clause, `"field:text"`: inside the quotes Graph reads `\` as an escape. */
export function searchClause(field: string, text: string): string {
  return `"${field}:${text.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/** An OData string literal for `$filter`: single quotes are doubled. */
export function odataString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A query string with OData names (`$search`, `$filter`) kept readable and every value percent-encoded (`%20`, never the ambiguous `+`). */
export function graphQueryString(parameters: Readonly<Record<string, string | number | boolean>>): string {
  return Object.entries(parameters)
    .map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`)
    .join("&");
}

/** Lower-case characters Graph treats as word separators when it tokenizes for `$search`. */
export function searchTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token !== "");
}
