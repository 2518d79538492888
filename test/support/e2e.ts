import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { connectionStringFor, freePort } from "../../local/azurite.js";
import type { DevTokenRequest } from "../../local/identityProvider.js";
import type { MailboxMessage } from "../../local/mailbox.js";
import { type LocalHost, type LocalHostOptions, startLocalHost } from "../../local/start.js";
import { printRefusal, startStrictTableProxy, type StrictTableProxy, tableOrigin } from "./strictStorage.js";

/**
 * The whole service as `npm start` runs it, for end-to-end tests: the repository's host.json and
 * settings file, the app's real entry, Azurite, the dev identity provider and the dev mailbox, all
 * reached over real HTTP. The app is what Azure runs: package.json `main`, the production bundle
 * and its chunks, imported by Node itself (vitest.config.ts leaves dist/bundle to Node); the run's
 * global setup builds it when a source changed since it was built.
 */

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** package.json `main`: dist/bundle/index.js, as `npm start` and Azure load it. */
export const appEntry = join(
  repoRoot,
  (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { main: string }).main,
);
/** The source the bundle is built from. */
export const sourceEntry = join(repoRoot, "functions", "index.ts");

/** Whether the app's entry imports `functions/<name>.ts`: a function file's tests run once it is part of the app. */
export function entryImports(name: string): boolean {
  return readFileSync(sourceEntry, "utf8").includes(`"./${name}.js"`);
}

export interface E2eOptions {
  /** Azurite: its own, in memory on free ports, unless told otherwise (the invitation queue's name is fixed). */
  readonly azurite?: LocalHostOptions["azurite"];
  /** 0 (a free port) unless given. */
  readonly port?: number;
  /** Where host.json and the settings file are read; the repository by default. */
  readonly appRoot?: string;
  readonly settings?: Readonly<Record<string, string>>;
}

export interface ApiCall {
  readonly method?: string;
  /** A bearer token, or a dev user alias to get one for. */
  readonly token?: string;
  readonly as?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface E2eHost {
  readonly local: LocalHost;
  /** The strict storage proxy the app's tables go through. */
  readonly strictStorage: StrictTableProxy;
  /** `http://localhost:{port}` */
  readonly url: string;
  /** Every line the host logged (one per invocation, plus the functions' own logs). */
  readonly logs: string[];
  /** `POST /dev/identity/token`; the raw response, for the deliberately-wrong variants too. */
  tokenResponse(request: DevTokenRequest): Promise<Response>;
  /** A dev token for `user`, cached per user when no variant is asked for. */
  token(user: string, variant?: Omit<DevTokenRequest, "user">): Promise<string>;
  /** A call to `{url}{path}` with JSON in and out. */
  call<T = any>(path: string, call?: ApiCall): Promise<ApiAnswer<T>>;
  /** `GET /dev/mailbox` as JSON. */
  mailbox(): Promise<MailboxMessage[]>;
  /** `eventually`, whose timeout error ends with the host's last log lines (what the functions said). */
  eventually<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T>;
  stop(): Promise<void>;
}

/**
 * One strict storage proxy per Azurite Table endpoint, kept for the test file's process: a host
 * started again on the same Azurite (a restart) reaches its tables at the same address, as the
 * app, loaded once per process, still holds it.
 */
const strictProxies = new Map<string, Promise<StrictTableProxy>>();

function strictProxyFor(target: string): Promise<StrictTableProxy> {
  let proxy = strictProxies.get(target);
  if (proxy === undefined) {
    proxy = startStrictTableProxy({ target, onRefusal: printRefusal });
    strictProxies.set(target, proxy);
  }
  return proxy;
}

export async function startE2eHost(options: E2eOptions = {}): Promise<E2eHost> {
  const logs: string[] = [];
  const appRoot = options.appRoot ?? repoRoot;
  // The app's tables go through the strict storage proxy: the host starts (or reuses) Azurite on
  // known ports, and the app's own Storage setting points its TableEndpoint at the proxy.
  const requested = options.azurite ?? {};
  const azurite: LocalHostOptions["azurite"] =
    "connectionString" in requested
      ? requested
      : {
          ...requested,
          ports: requested.ports ?? {
            blob: await freePort(),
            queue: await freePort(),
            table: await freePort(),
          },
        };
  const direct =
    "connectionString" in azurite ? azurite.connectionString : connectionStringFor(azurite.ports!);
  const strict = await strictProxyFor(tableOrigin(direct));
  const local = await startLocalHost({
    appRoot,
    // The repository's package.json `main`, also when another app folder holds host.json and the settings.
    ...(appRoot === repoRoot ? {} : { entry: appEntry }),
    port: options.port ?? 0,
    azurite,
    settings: { Storage: strict.connectionString(direct), ...options.settings },
    log: (line) => logs.push(line),
  });
  const url = local.url;
  const tokens = new Map<string, string>();

  const tokenResponse = (request: DevTokenRequest): Promise<Response> =>
    fetch(`${url}/dev/identity/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });

  const token = async (user: string, variant: Omit<DevTokenRequest, "user"> = {}): Promise<string> => {
    const plain = Object.keys(variant).length === 0;
    const cached = plain ? tokens.get(user) : undefined;
    if (cached !== undefined) return cached;
    const response = await tokenResponse({ user, ...variant });
    if (response.status !== 200) {
      throw new Error(`POST /dev/identity/token for ${user}: ${response.status} ${await response.text()}`);
    }
    const minted = ((await response.json()) as { access_token: string }).access_token;
    if (plain) tokens.set(user, minted);
    return minted;
  };

  return {
    local,
    strictStorage: strict,
    url,
    logs,
    tokenResponse,
    token,
    async call<T>(path: string, call: ApiCall = {}): Promise<ApiAnswer<T>> {
      const headers: Record<string, string> = { ...call.headers };
      const bearer = call.token ?? (call.as === undefined ? undefined : await token(call.as));
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
      if (call.body !== undefined) headers["content-type"] ??= "application/json";
      const response = await fetch(`${url}${path}`, {
        method: call.method ?? "GET",
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      });
      const text = await response.text();
      const isJson = /json/i.test(response.headers.get("content-type") ?? "");
      return {
        status: response.status,
        headers: response.headers,
        body: (isJson && text !== "" ? JSON.parse(text) : text) as T,
      };
    },
    async mailbox(): Promise<MailboxMessage[]> {
      const response = await fetch(`${url}/dev/mailbox`, { headers: { accept: "application/json" } });
      return ((await response.json()) as { value: MailboxMessage[] }).value;
    },
    async eventually<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
      try {
        return await eventually(what, read, done);
      } catch (error) {
        // HTTP calls that went well say nothing here; triggers, failures and the functions' own logs do.
        const told = logs.filter((line) => !/ (GET|POST|PUT|PATCH|DELETE|HEAD) \S+ [1-4]\d\d$/.test(line));
        const tail = told.slice(-12).join("\n");
        throw new Error(`${(error as Error).message}\nThe host's last log lines:\n${tail}`, { cause: error });
      }
    },
    stop: () => local.stop(),
  };
}

/**
 * Reads until `done` holds or the deadline passes: asynchronous outcomes (a queue message
 * handled, a timer fired) are awaited by their effect, never by a fixed sleep.
 */
export async function eventually<T>(
  what: string,
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  deadlineMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${what}; last seen: ${(JSON.stringify(value) as string | undefined)?.slice(0, 500)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
