import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Settings, host.json and connections, read the way the Functions host reads them. */

export class HostConfigurationError extends Error {
  override readonly name = "HostConfigurationError";
}

export interface QueueSettings {
  readonly batchSize: number;
  readonly newBatchThreshold: number;
  readonly maxDequeueCount: number;
  /** Delay before a failed message is visible again. */
  readonly visibilityTimeoutMs: number;
  readonly maxPollingIntervalMs: number;
  readonly messageEncoding: "base64" | "none";
}

export interface HostSettings {
  readonly routePrefix: string;
  readonly queues: QueueSettings;
}

/** `hh:mm:ss[.fff]` or `d.hh:mm:ss` (a .NET TimeSpan, as host.json writes durations) in ms. */
export function parseTimeSpan(value: string, setting: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (match === null)
    throw new HostConfigurationError(`host.json ${setting} "${value}" is not a TimeSpan (hh:mm:ss).`);
  const [, days = "0", hours = "0", minutes = "0", seconds = "0", fraction = "0"] = match;
  return (
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    Math.round(Number(`0.${fraction}`) * 1000)
  );
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function positive(value: unknown, fallback: number, setting: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new HostConfigurationError(`host.json ${setting} must be an integer between 0 and ${max}.`);
  }
  return value;
}

/** Reads host.json's http and queues sections with the Functions host's defaults. */
export function readHostSettings(appRoot: string): HostSettings {
  const path = join(appRoot, "host.json");
  const json = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as unknown) : {};
  const extensions = asRecord(asRecord(json).extensions);
  const http = asRecord(extensions.http);
  const queues = asRecord(extensions.queues);
  const routePrefix =
    typeof http.routePrefix === "string" ? http.routePrefix.replace(/^\/+|\/+$/g, "") : "api";
  const batchSize = positive(queues.batchSize, 16, "extensions.queues.batchSize", 32);
  const encoding = queues.messageEncoding ?? "base64";
  if (encoding !== "base64" && encoding !== "none") {
    throw new HostConfigurationError(
      `host.json extensions.queues.messageEncoding must be "base64" or "none".`,
    );
  }
  const timeSpan = (value: unknown, fallback: string, setting: string): number =>
    parseTimeSpan(typeof value === "string" ? value : fallback, setting);
  return {
    routePrefix,
    queues: {
      batchSize: Math.max(1, batchSize),
      newBatchThreshold: positive(
        queues.newBatchThreshold,
        Math.floor(batchSize / 2),
        "extensions.queues.newBatchThreshold",
      ),
      maxDequeueCount: Math.max(1, positive(queues.maxDequeueCount, 5, "extensions.queues.maxDequeueCount")),
      visibilityTimeoutMs: timeSpan(
        queues.visibilityTimeout,
        "00:00:00",
        "extensions.queues.visibilityTimeout",
      ),
      maxPollingIntervalMs: Math.max(
        100,
        timeSpan(queues.maxPollingInterval, "00:01:00", "extensions.queues.maxPollingInterval"),
      ),
      messageEncoding: encoding,
    },
  };
}

/**
 * The `Values` of local.settings.json (else local.settings.sample.json), as Core Tools reads
 * them; `undefined` when neither exists.
 */
export function readLocalSettings(
  appRoot: string,
): { file: string; values: Record<string, string> } | undefined {
  for (const name of ["local.settings.json", "local.settings.sample.json"]) {
    const file = join(appRoot, name);
    if (!existsSync(file)) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new HostConfigurationError(`${name} is not valid JSON: ${(error as Error).message}`);
    }
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(asRecord(asRecord(json).Values))) {
      if (value !== null && value !== undefined)
        values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { file, values };
  }
  return undefined;
}

/** Puts settings into `process.env` without overriding variables that are really set. */
export function applySettings(
  values: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  for (const [key, value] of Object.entries(values)) {
    env[key] ??= value;
  }
}

/** Resolves `%SETTING%` expressions in binding properties (queue names, schedules). */
export function resolveBindingExpression(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const setting = env[name];
    if (setting === undefined || setting === "") {
      throw new HostConfigurationError(`The binding expression %${name}% names a setting that is not set.`);
    }
    return setting;
  });
}

/**
 * A storage connection by its setting name as the Functions host resolves it: `<Name>` (or
 * `AzureWebJobs<Name>`) holding a connection string. Identity-based `<Name>__queueServiceUri`
 * needs Azure credentials, so the local host asks for a connection string instead.
 */
export function resolveStorageConnection(
  connection: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const name = connection === undefined || connection === "" ? "AzureWebJobsStorage" : connection;
  for (const candidate of [name, `AzureWebJobs${name}`]) {
    const value = env[candidate];
    if (value !== undefined && value.trim() !== "") return value.trim();
  }
  if (env[`${name}__queueServiceUri`] !== undefined || env[`${name}__serviceUri`] !== undefined) {
    throw new HostConfigurationError(
      `Connection "${name}" is identity-based (${name}__queueServiceUri); the local host needs a connection string: set ${name}=UseDevelopmentStorage=true.`,
    );
  }
  throw new HostConfigurationError(
    `Connection "${name}" is not set: set ${name} to a storage connection string.`,
  );
}
