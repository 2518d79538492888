import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

import type { Cookie } from "@azure/functions";
import azureFunctions from "@azure/functions";

import { readBody, RequestTooLargeError } from "../http.js";
import { type RegisteredFunction, triggerOf } from "./functionsCore.js";
import { type HostLog, type InvocationRequest, invoke } from "./invocation.js";
import { compareRoutes, type CompiledRoute, compileRoute, pathSegments } from "./routes.js";

const { HttpRequest, HttpResponse } = azureFunctions;

/** A route served by the local host itself (dev identity provider, dev mailbox); true when it answered. */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;

export interface HttpHostOptions {
  readonly functions: readonly RegisteredFunction[];
  /** host.json `extensions.http.routePrefix`; "" for none. */
  readonly routePrefix: string;
  readonly host?: string;
  /** 0 for a free port. */
  readonly port: number;
  readonly log: HostLog;
  /** Origins a browser may call from (`CORS_ALLOWED_ORIGINS`); `*` allows any. */
  readonly corsAllowedOrigins?: readonly string[];
  /** Largest request body accepted, in bytes (the Azure host's limit is 100 MB). */
  readonly maxRequestBodyBytes?: number;
  readonly extraRoutes?: readonly ExtraRoute[];
  /** Writes the output bindings the host handles (queue outputs). */
  readonly writeOutputs?: InvocationRequest["writeOutputs"];
}

export interface HttpRoute {
  readonly functionName: string;
  readonly route: string;
  readonly methods: readonly string[];
}

export interface RunningHttpHost {
  readonly url: string;
  readonly port: number;
  readonly routes: readonly HttpRoute[];
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  constructor(readonly port: number) {
    super(`Port ${port} is already in use.`);
  }
}

interface FunctionRoute extends HttpRoute {
  readonly fn: RegisteredFunction;
  readonly compiled: CompiledRoute;
}

const defaultMaxBodyBytes = 100 * 1024 * 1024;

/** The HTTP routes exactly as the registrations declare them (route defaults to the function name). */
export function httpRoutesOf(functions: readonly RegisteredFunction[], routePrefix: string): FunctionRoute[] {
  const routes: FunctionRoute[] = [];
  for (const fn of functions) {
    const trigger = triggerOf(fn);
    if (trigger.type !== "httpTrigger") continue;
    const template =
      typeof trigger.route === "string" && trigger.route !== "" ? trigger.route : fn.metadata.name;
    const route = [routePrefix, template.replace(/^\/+/, "")].filter((part) => part !== "").join("/");
    const methods = Array.isArray(trigger.methods)
      ? trigger.methods.map((method) => String(method).toUpperCase())
      : ["GET", "POST"];
    routes.push({ functionName: fn.metadata.name, route, methods, fn, compiled: compileRoute(route) });
  }
  return routes.sort((a, b) => compareRoutes(a.compiled, b.compiled));
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain !== undefined) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path !== undefined) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) parts.push(`Expires=${new Date(cookie.expires).toUTCString()}`);
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure === true) parts.push("Secure");
  if (cookie.httpOnly === true) parts.push("HttpOnly");
  if (cookie.sameSite !== undefined) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join("; ");
}

function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** The handler's result as the library converts it: HttpResponse or HttpResponseInit, nothing → 204. */
async function writeFunctionResponse(res: ServerResponse, result: unknown, head: boolean): Promise<number> {
  if (result === undefined || result === null) {
    sendEmpty(res, 204);
    return 204;
  }
  if (typeof result !== "object") {
    throw new TypeError(
      'The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".',
    );
  }
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  for (const [name, value] of response.headers.entries()) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = [...response.headers.getSetCookie(), ...response.cookies.map(serializeCookie)];
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.statusCode = response.status;
  const body = response.body;
  if (body === null || head) {
    res.end();
  } else {
    await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), res);
  }
  return response.status;
}

export async function startHttpHost(options: HttpHostOptions): Promise<RunningHttpHost> {
  const host = options.host ?? "127.0.0.1";
  const routes = httpRoutesOf(options.functions, options.routePrefix);
  const allowedOrigins = options.corsAllowedOrigins ?? [];
  const maxBody = options.maxRequestBodyBytes ?? defaultMaxBodyBytes;
  const extraRoutes = options.extraRoutes ?? [];
  let baseUrl = "";

  function corsOrigin(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    return allowedOrigins.includes("*") || allowedOrigins.includes(origin) ? origin : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", baseUrl);
    const method = (req.method ?? "GET").toUpperCase();
    const allowedOrigin = corsOrigin(req);
    if (req.headers.origin !== undefined) res.setHeader("vary", "Origin");

    // Preflight is the platform's job in Azure once CORS has allowed origins, so the functions never
    // see it then; with none, the platform stays out of the way and the request is routed like any other.
    if (
      allowedOrigins.length > 0 &&
      method === "OPTIONS" &&
      req.headers.origin !== undefined &&
      req.headers["access-control-request-method"] !== undefined
    ) {
      if (allowedOrigin === undefined) {
        sendEmpty(res, 403);
        return;
      }
      sendEmpty(res, 204, {
        "access-control-allow-origin": allowedOrigin,
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "",
        "access-control-max-age": "600",
      });
      return;
    }
    if (allowedOrigin !== undefined) res.setHeader("access-control-allow-origin", allowedOrigin);

    for (const extra of extraRoutes) {
      if (await extra(req, res, url.pathname)) return;
    }

    // As the Functions host routes: each route carries its methods as a constraint, so a route whose
    // method does not match is passed over like one whose path does not, and nothing matching is an
    // empty 404, never a 405 (azure-functions-host#10098); HEAD is a method of its own, not GET
    // without a body (azure-functions-host#11625).
    const segments = pathSegments(url.pathname);
    for (const route of routes) {
      if (!route.methods.includes(method)) continue;
      const params = route.compiled.match(segments);
      if (params === undefined) continue;
      await invokeRoute(route, params, req, res, url, method);
      return;
    }
    sendEmpty(res, 404);
  }

  async function invokeRoute(
    route: FunctionRoute,
    params: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch (error) {
      if (!(error instanceof RequestTooLargeError)) throw error;
      res.setHeader("connection", "close");
      sendEmpty(res, 413);
      return;
    }
    const headers = requestHeaders(req);
    const request = new HttpRequest({
      method,
      url: url.href,
      headers,
      params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    let status = 500;
    await invoke({
      fn: route.fn,
      input: request,
      triggerMetadata: { request, headers, query: Object.fromEntries(url.searchParams), ...params },
      log: options.log,
      ...(options.writeOutputs === undefined ? {} : { writeOutputs: options.writeOutputs }),
      complete: async (outcome) => {
        if (outcome.error !== undefined) {
          sendEmpty(res, 500);
          return outcome;
        }
        try {
          status = await writeFunctionResponse(res, outcome.result, method === "HEAD");
          return outcome;
        } catch (error) {
          // The client went away before the answer was written: nginx's 499, not a failure of the function.
          if (req.destroyed || res.destroyed) {
            status = 499;
            return outcome;
          }
          if (!res.headersSent) sendEmpty(res, 500);
          else res.destroy();
          return { ...outcome, error };
        }
      },
      describe: () => `${method} ${url.pathname} ${status}`,
      failed: () => status >= 500,
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(
        `[${new Date().toISOString()}] host error: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!res.headersSent) sendEmpty(res, 500);
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new PortInUseError(options.port) : error);
    });
    server.listen(options.port, host, () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host === "127.0.0.1" || host === "::1" ? "localhost" : host}:${port}`;

  return {
    url: baseUrl,
    port,
    routes: routes.map(({ functionName, route, methods }) => ({ functionName, route, methods })),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}
