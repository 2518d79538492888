import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The queue retry settings the sender must agree with: it marks an invitation `failed` on the
 * delivery the host will not retry, so it reads `maxDequeueCount` from the same host.json.
 */

export interface QueueRetrySettings {
  readonly maxDequeueCount: number;
}

/** The Functions host's default when host.json does not say. */
const hostDefaultMaxDequeueCount = 5;

/** host.json sits at the app root: above `shared/invitations/` in source, above `dist/shared/invitations/` built. */
export function findHostJson(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let directory = from;
  for (let level = 0; level < 6; level++) {
    const candidate = join(directory, "host.json");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return undefined;
}

export function readQueueRetrySettings(
  hostJsonPath: string | undefined = findHostJson(),
): QueueRetrySettings {
  if (hostJsonPath === undefined) return { maxDequeueCount: hostDefaultMaxDequeueCount };
  const json = JSON.parse(readFileSync(hostJsonPath, "utf8")) as {
    extensions?: { queues?: { maxDequeueCount?: unknown } };
  };
  const value = json.extensions?.queues?.maxDequeueCount;
  if (value === undefined) return { maxDequeueCount: hostDefaultMaxDequeueCount };
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new Error(
      `host.json extensions.queues.maxDequeueCount must be a whole number from 1, not ${JSON.stringify(value)}.`,
    );
  }
  return { maxDequeueCount: value };
}
