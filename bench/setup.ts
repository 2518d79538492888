import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import azureFunctions, { type HttpResponseInit } from "@azure/functions";

import { type DevDirectoryData, readDevDirectory } from "../shared/directory/devDirectory.js";
import type { FunctionHandler } from "../shared/http.js";

const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

/** The API's client id agreed in the local settings. */
export const clientId = "3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01";
export const senderAddress = "DoNotReply@contoso.example";
export const mailboxAccessKey = "ZGV2LW1haWxib3gta2V5LW5vdC1hLXNlY3JldC0wMDAwMDA=";

/** Recipients enough for a share with 10: the dev directory plus 20 bench users. */
export const benchUserCount = 20;

export function benchDirectory(): DevDirectoryData {
  const bundled = readDevDirectory();
  const extra = Array.from({ length: benchUserCount }, (_, index) => {
    const number = String(index + 1).padStart(2, "0");
    return {
      alias: `bench${number}`,
      id: `be4c0000-0000-4000-8000-0000000000${number}`,
      displayName: `Bench User ${number}`,
      email: `bench${number}@contoso.example`,
      userType: "Member" as const,
      accountEnabled: true,
      appRoles: [],
    };
  });
  return { ...bundled, users: [...bundled.users, ...extra] };
}

export function benchUserId(number: number): string {
  return `be4c0000-0000-4000-8000-0000000000${String(number).padStart(2, "0")}`;
}

/** A scratch folder for the bench's directory file; removed when the bench ends. */
export async function scratchFolder(): Promise<{
  path: string;
  directoryFile: string;
  remove(): Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), "bench-"));
  const directoryFile = join(path, "dev-directory.json");
  await writeFile(directoryFile, JSON.stringify(benchDirectory(), null, 2));
  return { path, directoryFile, remove: () => rm(path, { recursive: true, force: true }) };
}

export function tablePrefix(purpose: string): string {
  return `b${purpose}${randomBytes(3).toString("hex")}`;
}

/** Settings of an in-process app (round trips, scale): auth from the given identity, storage on Azurite. */
export function inProcessSettings(
  connectionString: string,
  authSettings: Record<string, string>,
  prefix: string,
): Record<string, string> {
  return {
    ...authSettings,
    Storage: connectionString,
    STORAGE_TABLE_PREFIX: prefix,
    APP_BASE_URL: "http://localhost:3000",
    // Never reached: the in-process benches ask for no invitations.
    EMAIL_CONNECTION_STRING: `endpoint=http://127.0.0.1:9/;accesskey=${mailboxAccessKey}`,
    EMAIL_SENDER_ADDRESS: senderAddress,
    DIRECTORY_MODE: "dev",
  };
}

/** Settings of the local host on `port`, as local.settings.sample.json has them for 7071. */
export function hostSettings(
  port: number,
  connectionString: string,
  directoryFile: string,
  prefix: string,
  tenantId: string,
): Record<string, string> {
  return {
    FUNCTIONS_WORKER_RUNTIME: "node",
    AzureWebJobsStorage: connectionString,
    Storage: connectionString,
    STORAGE_TABLE_PREFIX: prefix,
    AUTH_TENANT_ID: tenantId,
    AUTH_CLIENT_ID: clientId,
    AUTH_ISSUER: `http://localhost:${port}/dev/identity`,
    AUTH_JWKS_URI: `http://127.0.0.1:${port}/dev/identity/discovery/v2.0/keys`,
    APP_BASE_URL: "http://localhost:3000",
    CORS_ALLOWED_ORIGINS: "",
    EMAIL_CONNECTION_STRING: `endpoint=http://localhost:${port}/;accesskey=${mailboxAccessKey}`,
    EMAIL_SENDER_ADDRESS: senderAddress,
    DIRECTORY_MODE: "dev",
    DEV_DIRECTORY_FILE: directoryFile,
  };
}

export interface HandlerCall {
  readonly method?: string;
  readonly path: string;
  readonly params?: Record<string, string>;
  readonly token?: string;
  readonly body?: unknown;
}

/** Calls a handler as the host does: a real HttpRequest and InvocationContext, JSON back. */
export async function callHandler(
  handler: FunctionHandler,
  call: HandlerCall,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers["content-type"] = "application/json";
  const request = new HttpRequest({
    method: call.method ?? "GET",
    url: `http://localhost:7071${call.path}`,
    headers,
    params: call.params ?? {},
    ...(call.body !== undefined && { body: { string: JSON.stringify(call.body) } }),
  });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: "bench",
    logHandler: () => undefined,
  });
  const init: HttpResponseInit = await handler(request, context);
  const response = new HttpResponse(init);
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** One row of the results table. */
export interface Figure {
  readonly section: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The same-run baseline, when the figure has one. */
  readonly baseline?: { readonly name: string; readonly value: number; readonly unit: string };
  readonly target: string;
  /** Undefined for figures that are reported, not judged. */
  readonly met?: boolean;
  readonly note?: string;
}
