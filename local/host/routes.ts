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
  /** 0 literal, 1 constrained parameter, 2 parameter, 3 optional, 4 catch-all: lower wins. */
  readonly precedence: number;
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
  const only =
    parameters.length === 1 && text.startsWith("{") && text.endsWith("}") ? parameters[0] : undefined;
  const precedence =
    parameters.length === 0
      ? 0
      : only?.catchAll
        ? 4
        : only?.optional
          ? 3
          : parameters.every((p) => p.constraints.length > 0)
            ? 1
            : 2;
  return { pattern: new RegExp(`^${source}$`, "i"), parameters, precedence };
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

/** Orders routes as ASP.NET Core does: literals before constrained before free parameters. */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index += 1) {
    const left = a.segments[index]?.precedence ?? 5;
    const right = b.segments[index]?.precedence ?? 5;
    if (left !== right) return left - right;
  }
  return 0;
}

/** Splits a request path into decoded segments; `undefined` when it is not valid percent-encoding. */
export function pathSegments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}
