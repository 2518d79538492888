import { randomBytes, randomUUID } from "node:crypto";

import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";
import azureFunctions, { type HttpResponseInit } from "@azure/functions";
import { expect, inject } from "vitest";

import { createProcess, listProcesses } from "../../functions/processes.js";
import { createServices, type ServiceOptions, type Services, useServices } from "../../shared/composition.js";
import { type Config, loadConfig } from "../../shared/config.js";
import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import type { FunctionHandler } from "../../shared/http.js";
import type { Clock } from "../../shared/ports.js";
import { startTestIdentity, type TestIdentity } from "./identity.js";

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

/** The dev users, by alias, with their ids. */
export const users = Object.fromEntries(
  readDevDirectory().users.map((user) => [user.alias, user]),
) as unknown as Record<
  "alice" | "bob" | "carol" | "dave" | "erin" | "frank" | "gina",
  { id: string; alias: string; displayName: string; email: string }
>;
export const groupId = readDevDirectory().groups[0]?.id ?? "";

/** Counts every storage request that leaves the SDK: the honest measure of round trips. */
export class RoundTripCounter {
  readonly requests: { method: string; url: string }[] = [];

  readonly policy: PipelinePolicy = {
    name: "roundTripCounter",
    sendRequest: async (request, next) => {
      this.requests.push({ method: request.method, url: request.url });
      return await next(request);
    },
  };

  reset(): void {
    this.requests.length = 0;
  }

  get count(): number {
    return this.requests.length;
  }

  /** Requests as `GET point`, `GET query`, `POST batch`, ... for readable assertions. */
  kinds(): string[] {
    return this.requests.map(({ method, url }) => {
      const path = new URL(url).pathname;
      if (path.endsWith("/$batch")) return `${method} batch`;
      if (/\(PartitionKey='[^']*',RowKey='[^']*'\)$/.test(decodeURIComponent(path))) return `${method} point`;
      return `${method} ${method === "GET" ? "query" : "other"}`;
    });
  }
}

/** Makes chosen storage requests fail as a crash would: the request never reaches storage. */
export class FaultInjector {
  private rules: { matches: (request: PipelineRequest) => boolean; remaining: number }[] = [];

  private holds: {
    matches: (request: PipelineRequest) => boolean;
    reached: () => void;
    gate: Promise<void>;
  }[] = [];

  readonly policy: PipelinePolicy = {
    name: "faultInjector",
    sendRequest: async (request, next) => {
      const hold = this.holds.find((candidate) => candidate.matches(request));
      if (hold !== undefined) {
        this.holds = this.holds.filter((candidate) => candidate !== hold);
        hold.reached();
        await hold.gate;
      }
      const rule = this.rules.find((candidate) => candidate.remaining > 0 && candidate.matches(request));
      if (rule !== undefined) {
        rule.remaining -= 1;
        throw new Error(`injected crash before ${request.method} ${new URL(request.url).pathname}`);
      }
      return await next(request);
    },
  };

  crashOn(matches: (request: PipelineRequest) => boolean, times = 1): void {
    this.rules.push({ matches, remaining: times });
  }

  /**
   * Holds the next request that matches until released: `reached` resolves when it is held, so a
   * test can act in the window between, say, a share's list writes and its commit.
   */
  holdNext(matches: (request: PipelineRequest) => boolean): { reached: Promise<void>; release(): void } {
    let reached!: () => void;
    let release!: () => void;
    const held = {
      reached: new Promise<void>((resolve) => (reached = resolve)),
      gate: new Promise<void>((resolve) => (release = resolve)),
    };
    this.holds.push({ matches, reached, gate: held.gate });
    return { reached: held.reached, release };
  }

  clear(): void {
    this.rules = [];
    this.holds = [];
  }
}

/** The service's clock, moved forward by tests (the token validator keeps the real one). */
export class MovableClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(milliseconds: number): void {
    this.offsetMs += milliseconds;
  }
}

export interface CallOptions {
  readonly method?: string;
  readonly path: string;
  readonly params?: Record<string, string>;
  /** A dev user alias, or a raw token, or null for no Authorization header. */
  readonly as?: string | null;
  readonly token?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface CallResult<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface TestApp {
  readonly identity: TestIdentity;
  readonly services: Services;
  readonly config: Config;
  readonly roundTrips: RoundTripCounter;
  readonly faults: FaultInjector;
  readonly logs: string[];
  token(user: string): Promise<string>;
  call<T = any>(handler: FunctionHandler, options: CallOptions): Promise<CallResult<T>>;
  close(): Promise<void>;
}

/** Settings for a test run against the run's Azurite, with tables of its own. */
export function testSettings(
  identity: TestIdentity,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...identity.authSettings,
    Storage: inject("azuriteConnectionString"),
    STORAGE_TABLE_PREFIX: `t${randomBytes(6).toString("hex")}`,
    APP_BASE_URL: "http://localhost:3000",
    EMAIL_CONNECTION_STRING: "endpoint=http://127.0.0.1:9/;accesskey=dGVzdA==",
    EMAIL_SENDER_ADDRESS: "DoNotReply@contoso.example",
    DIRECTORY_MODE: "dev",
    ...extra,
  };
}

/**
 * The app as the Functions host runs it, minus the host: the real composition root over
 * Azurite and the dev directory, real tokens from a JWKS served on loopback, and handlers
 * called with real `HttpRequest` and `InvocationContext` objects.
 */
export async function startTestApp(
  options: { settings?: Record<string, string>; services?: ServiceOptions } = {},
): Promise<TestApp> {
  const identity = await startTestIdentity();
  const config = loadConfig(testSettings(identity, options.settings));
  const roundTrips = new RoundTripCounter();
  const faults = new FaultInjector();
  const services = createServices(config, {
    ...options.services,
    // The counter sits after the fault injector, so an injected crash is not counted as a round trip.
    storagePolicies: [faults.policy, roundTrips.policy, ...(options.services?.storagePolicies ?? [])],
  });
  useServices(services);
  await services.ready();
  const logs: string[] = [];
  const tokens = new Map<string, string>();

  const token = async (user: string): Promise<string> => {
    const cached = tokens.get(user);
    if (cached !== undefined) return cached;
    const minted = await identity.token(user);
    tokens.set(user, minted);
    return minted;
  };

  return {
    identity,
    services,
    config,
    roundTrips,
    faults,
    logs,
    token,
    async call<T>(handler: FunctionHandler, call: CallOptions): Promise<CallResult<T>> {
      // Handlers reach the composition root as in production; this app's services answer them.
      useServices(services);
      const headers: Record<string, string> = { ...call.headers };
      const bearer =
        call.token ?? (call.as === null || call.as === undefined ? undefined : await token(call.as));
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
      let body: string | undefined = call.rawBody;
      if (call.body !== undefined) {
        body = JSON.stringify(call.body);
        headers["content-type"] ??= "application/json";
      }
      const request = new HttpRequest({
        method: call.method ?? "GET",
        url: new URL(call.path, "http://localhost:7071").href,
        headers,
        params: call.params ?? {},
        ...(body !== undefined && { body: { string: body } }),
      });
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: "test",
        logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(" ")}`),
      });
      const init: HttpResponseInit = await handler(request, context);
      const response = new HttpResponse(init);
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: (text === "" ? undefined : JSON.parse(text)) as T,
      };
    },
    async close() {
      useServices(undefined);
      await identity.close();
    },
  };
}

export function processPath(id: string, rest = ""): { path: string; params: Record<string, string> } {
  return { path: `/api/processes/${id}${rest}`, params: { id } };
}

/** Creates a process as a dev user and returns its id (the call must succeed). */
export async function createProcessAs(
  app: TestApp,
  as: string,
  kind: "taskMining" | "processMining",
  name = `${kind} of ${as}`,
): Promise<string> {
  const response = await app.call(createProcess, {
    method: "POST",
    path: "/api/processes",
    as,
    body: { kind, name },
  });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

/** The caller's list entry for a process (first 100 of their list), or undefined. */
export async function listedEntry(app: TestApp, as: string, processId: string): Promise<any> {
  const list = await app.call(listProcesses, { as, path: "/api/processes?top=100" });
  return list.body.value.find((entry: { id: string }) => entry.id === processId);
}
