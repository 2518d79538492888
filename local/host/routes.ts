/**
 * HTTP trigger route templates as the Functions host (ASP.NET Core routing) reads them:
 * literals (case-insensitive), `{name}`, `{name?}`, `{name=default}`, `{*rest}`/`{**rest}`,
 * and inline constraints such as `{id:guid}`, `{n:int:min(1)}`, `{code:regex(^[a-z]+$)}`.
 */

export class RouteTemplateError extends Error {
  override readonly name = "RouteTemplateError";
}

type Constraint = (value: string) => boolean;

interface Parameter {
  readonly name: string;
  readonly optional: boolean;
  readonly catchAll: boolean;
  readonly defaultValue?: string;
  readonly constraints: readonly Constraint[];
}

interface Segment {
  readonly pattern: RegExp;
  readonly parameters: readonly Parameter[];
  /** The segment's first part, which is all the host's route ordering looks at. */
  readonly first: { readonly literal: string } | { readonly constraints: number };
}

export interface CompiledRoute {
  readonly template: string;
  readonly segments: readonly Segment[];
  match(pathSegments: readonly string[]): Record<string, string> | undefined;
}

const number = (value: string): number => Number(value);
const guidPattern = /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i;

function constraintFor(spec: string, template: string): Constraint {
  const match = /^(\w+)(?:\((.*)\))?$/s.exec(spec);
  if (match === null)
    throw new RouteTemplateError(`Route "${template}": constraint "${spec}" is not understood.`);
  const [, kind = "", rawArgs] = match;
  const args =
    rawArgs === undefined ? [] : kind === "regex" ? [rawArgs] : rawArgs.split(",").map((a) => a.trim());
  const arg = (index: number): number => {
    const value = Number(args[index]);
    if (!Number.isFinite(value))
      throw new RouteTemplateError(`Route "${template}": constraint "${spec}" needs a number.`);
    return value;
  };
  switch (kind.toLowerCase()) {
    case "int":
      return (v) => /^-?\d+$/.test(v) && Math.abs(number(v)) <= 2 ** 31;
    case "long":
      return (v) => /^-?\d+$/.test(v);
    case "bool":
      return (v) => /^(true|false)$/i.test(v);
    case "decimal":
    case "double":
    case "float":
      return (v) => /^-?\d+(\.\d+)?$/.test(v);
    case "datetime":
      return (v) => !Number.isNaN(Date.parse(v));
    case "guid":
      return (v) => guidPattern.test(v);
    case "alpha":
      return (v) => /^[a-z]+$/i.test(v);
    case "minlength":
      return (v) => v.length >= arg(0);
    case "maxlength":
      return (v) => v.length <= arg(0);
    case "length":
      return args.length === 1 ? (v) => v.length === arg(0) : (v) => v.length >= arg(0) && v.length <= arg(1);
    case "min":
      return (v) => /^-?\d+$/.test(v) && number(v) >= arg(0);
    case "max":
      return (v) => /^-?\d+$/.test(v) && number(v) <= arg(0);
    case "range":
      return (v) => /^-?\d+$/.test(v) && number(v) >= arg(0) && number(v) <= arg(1);
    case "regex": {
      const regex = new RegExp(args[0] ?? "", "i");
      return (v) => regex.test(v);
    }
    default:
      throw new RouteTemplateError(`Route "${template}": unknown constraint "${kind}".`);
  }
}

function parseParameter(body: string, template: string): Parameter {
  let text = body;
  const catchAll = text.startsWith("*");
  text = text.replace(/^\*{1,2}/, "");
  // Constraints may hold regexes with ':' inside parentheses, so split outside them only.
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth += 1;
    if (char === ")") depth -= 1;
    if (char === ":" && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  let name = parts[0] ?? "";
  let optional = false;
  let defaultValue: string | undefined;
  const last = parts.length - 1;
  const tail = (parts[last] ?? "").match(/^(.*?)(\?|=(.*))?$/s);
  if (tail?.[2] !== undefined) {
    parts[last] = tail[1] ?? "";
    if (tail[2] === "?") optional = true;
    else defaultValue = tail[3] ?? "";
    if (last === 0) name = parts[0] ?? "";
  }
  if (!/^\w+$/.test(name))
    throw new RouteTemplateError(`Route "${template}": parameter "{${body}}" has no valid name.`);
  const constraints = parts.slice(1).map((spec) => constraintFor(spec, template));
  return {
    name,
    optional: optional || catchAll,
    catchAll,
    constraints,
    ...(defaultValue === undefined ? {} : { defaultValue }),
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compileSegment(text: string, template: string): Segment {
  const parameters: Parameter[] = [];
  let source = "";
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf("{", index);
    if (open < 0) {
      source += escapeRegex(text.slice(index));
      break;
    }
    source += escapeRegex(text.slice(index, open));
    let depth = 0;
    let close = open;
    for (; close < text.length; close += 1) {
      if (text[close] === "{") depth += 1;
      if (text[close] === "}") depth -= 1;
      if (depth === 0) break;
    }
    if (close >= text.length) throw new RouteTemplateError(`Route "${template}": unclosed "{".`);
    const parameter = parseParameter(text.slice(open + 1, close), template);
    parameters.push(parameter);
    source += parameter.optional && text.length === close - open + 1 ? "(.*)" : "(.+?)";
    index = close + 1;
  }
  const first = text.startsWith("{")
    ? { constraints: parameters[0]?.constraints.length ?? 0 }
    : { literal: text.slice(0, Math.max(0, text.indexOf("{"))) || text };
  // `s`: a parameter matches any segment, line feeds included, as ASP.NET Core's matcher does.
  return { pattern: new RegExp(`^${source}$`, "is"), parameters, first };
}

export function compileRoute(template: string): CompiledRoute {
  const texts = template
    .replace(/^[~/]+|\/+$/g, "")
    .split("/")
    .filter((s) => s !== "");
  const segments = texts.map((text) => compileSegment(text, template));
  const catchAllIndex = segments.findIndex((s) => s.parameters.some((p) => p.catchAll));
  if (catchAllIndex >= 0 && catchAllIndex !== segments.length - 1) {
    throw new RouteTemplateError(`Route "${template}": a catch-all parameter must be the last segment.`);
  }

  function match(path: readonly string[]): Record<string, string> | undefined {
    const params: Record<string, string> = {};
    for (const [index, segment] of segments.entries()) {
      const only = segment.parameters.length === 1 ? segment.parameters[0] : undefined;
      if (only?.catchAll === true) {
        const rest = path.slice(index).join("/");
        if (rest !== "") params[only.name] = rest;
        else if (only.defaultValue !== undefined) params[only.name] = only.defaultValue;
        return params;
      }
      const value = path[index];
      if (value === undefined) {
        if (only !== undefined && (only.optional || only.defaultValue !== undefined)) {
          if (only.defaultValue !== undefined) params[only.name] = only.defaultValue;
          continue;
        }
        return undefined;
      }
      const found = segment.pattern.exec(value);
      if (found === null) return undefined;
      for (const [position, parameter] of segment.parameters.entries()) {
        const captured = found[position + 1] ?? "";
        if (captured === "") {
          if (!parameter.optional && parameter.defaultValue === undefined) return undefined;
          if (parameter.defaultValue !== undefined) params[parameter.name] = parameter.defaultValue;
          continue;
        }
        if (!parameter.constraints.every((check) => check(captured))) return undefined;
        params[parameter.name] = captured;
      }
    }
    return path.length > segments.length ? undefined : params;
  }

  return { template, segments, match };
}

/**
 * Orders routes as the Functions host does (WebJobs.Extensions.Http `WebJobsRouteBuilder`
 * `RouteComparison`), segment by segment on each segment's first part: a literal before a
 * parameter (catch-all and optional ones included), between parameters the one with more inline
 * constraints first, between literals the ordinal case-insensitive order; when one template is a
 * prefix of the other, the longer first. The first route whose template and method match answers.
 */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  for (const [index, left] of a.segments.entries()) {
    const right = b.segments[index];
    if (right === undefined) return -1;
    const [x, y] = [left.first, right.first];
    if ("literal" in x && "constraints" in y) return -1;
    if ("constraints" in x && "literal" in y) return 1;
    if ("constraints" in x && "constraints" in y) {
      if (x.constraints !== y.constraints) return y.constraints - x.constraints;
    } else if ("literal" in x && "literal" in y) {
      const [l, r] = [x.literal.toUpperCase(), y.literal.toUpperCase()];
      if (l !== r) return l < r ? -1 : 1;
    }
  }
  return b.segments.length > a.segments.length ? 1 : 0;
}

/**
 * Splits a request path into segments decoded as Kestrel decodes a path: every valid
 * percent-encoded UTF-8 sequence but `%2F` (which stays as it is, inside its segment); an invalid
 * one is left undecoded rather than refused.
 */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split("/")
    .filter((s) => s !== "")
    .map((segment) =>
      segment
        .split(/(%2F)/i)
        .map((part) => (/^%2F$/i.test(part) ? part : decodeLeniently(part)))
        .join(""),
    );
}

function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/(?:%[0-9a-f]{2})+/gi, decodeEscapes);
  }
}

/** A run of escapes, longest valid UTF-8 sequence first at each place; what is not one stays encoded. */
function decodeEscapes(run: string): string {
  const escapes = run.match(/%[0-9a-f]{2}/gi) ?? [];
  let decoded = "";
  let index = 0;
  while (index < escapes.length) {
    let length = Math.min(4, escapes.length - index);
    for (; length > 0; length -= 1) {
      try {
        decoded += decodeURIComponent(escapes.slice(index, index + length).join(""));
        break;
      } catch {
        // Shorter, down to one escape, which stays as it is.
      }
    }
    if (length === 0) {
      decoded += escapes[index] ?? "";
      length = 1;
    }
    index += length;
  }
  return decoded;
}
