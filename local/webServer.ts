import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve, sep } from "node:path";

import { readDevDirectory } from "../shared/directory/devDirectory.js";
import { PortInUseError } from "./host/httpServer.js";

/**
 * `npm start`'s web front end: the built web app (`dist/web`) on its own origin, so that the
 * browser calls the API across origins exactly as from the Static Web App in Azure. It serves
 * files, answers `/config.json` (where the API is, which dev users may sign in) and sends every
 * other path to index.html (the app's own routes, such as an invitation's `/processes/{id}`).
 */

export const defaultWebPort = 3000;

export interface WebServerOptions {
  /** The built app: index.html and assets/. */
  readonly root: string;
  /** The API's origin, e.g. `http://localhost:7071`. */
  readonly apiBaseUrl: string;
  /** 3000 by default; 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** The dev directory's file (the dev users offered at sign-in); the bundled one by default. */
  readonly devDirectoryFile?: string;
}

export interface RunningWebServer {
  /** e.g. `http://localhost:3000` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** What the app reads at start: the API's origin and the local sign-in (enabled dev users only). */
export function devWebConfig(apiBaseUrl: string, devDirectoryFile?: string): unknown {
  const directory = readDevDirectory(devDirectoryFile);
  return {
    apiBaseUrl,
    auth: {
      mode: "dev",
      users: directory.users
        .filter((user) => user.accountEnabled)
        .map(({ alias, displayName, email, userType, appRoles }) => ({
          alias,
          displayName,
          email,
          userType,
          appRoles,
        })),
    },
  };
}

/** The headers every answer carries: no framing, no sniffing, scripts only from here, calls only to the API. */
export function securityHeaders(apiBaseUrl: string): Record<string, string> {
  const api = new URL(apiBaseUrl).origin;
  return {
    "content-security-policy": [
      "default-src 'self'",
      "script-src 'self'",
      // Fluent UI (Griffel) inserts its styles at run time.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ${api}`,
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
}

/** The file a request path names inside `root`, or undefined when it would leave it. */
export function fileFor(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const base = resolve(root);
  const file = resolve(join(base, decoded));
  return file === base || file.startsWith(base + sep) ? file : undefined;
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const root = resolve(options.root);
  const indexFile = join(root, "index.html");
  // Fail at start, naming the missing build, rather than with a 404 in the browser.
  await stat(indexFile);
  const config = JSON.stringify(devWebConfig(options.apiBaseUrl, options.devDirectoryFile));
  const headers = securityHeaders(options.apiBaseUrl);
  const host = options.host ?? "127.0.0.1";

  async function serveFile(
    res: ServerResponse,
    file: string,
    method: string,
    immutable: boolean,
  ): Promise<boolean> {
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() !== true) return false;
    res.writeHead(200, {
      ...headers,
      "content-type": contentTypes[extname(file)] ?? "application/octet-stream",
      "content-length": String(info.size),
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
    if (method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { ...headers, allow: "GET, HEAD" }).end();
      return;
    }
    const { pathname } = new URL(req.url ?? "/", "http://web.invalid");
    if (pathname === "/config.json") {
      res.writeHead(200, {
        ...headers,
        "content-type": contentTypes[".json"] ?? "",
        "cache-control": "no-store",
      });
      res.end(method === "HEAD" ? undefined : config);
      return;
    }
    const file = fileFor(root, pathname);
    if (file === undefined) {
      res.writeHead(400, headers).end();
      return;
    }
    if (pathname !== "/" && (await serveFile(res, file, method, pathname.startsWith("/assets/")))) return;
    // A missing asset is a 404; any other path is one of the app's routes.
    if (pathname.startsWith("/assets/") || extname(pathname) !== "") {
      res.writeHead(404, { ...headers, "content-type": "text/plain; charset=utf-8" }).end("Not found");
      return;
    }
    const html = await readFile(indexFile);
    res.writeHead(200, {
      ...headers,
      "content-type": contentTypes[".html"] ?? "",
      "cache-control": "no-cache",
    });
    res.end(method === "HEAD" ? undefined : html);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, headers);
      res.end();
    });
  });
  const requested = options.port ?? defaultWebPort;
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new PortInUseError(requested) : error);
    });
    server.listen(requested, host, () => {
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => {
          resolveClose();
        });
      }),
  };
}
