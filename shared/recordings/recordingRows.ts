import type { TableEntityResult, TransactionAction } from "@azure/data-tables";

import { rolePrefix } from "../storage/processPartition.js";
import { safeKey } from "../storage/tables.js";
import type { Recording } from "./recording.js";

/**
 * The recording rows of a process's partition, and the transaction actions that guard their
 * writes (see recordingStore.ts for why).
 */

export const recordingPrefix = "recording|";
/** The first row key past the recordings range (`}` sorts right after `|`). */
export const recordingRangeEnd = "recording}";
/** The counters sort before the recordings range (`C` before `|`), never inside it. */
export const recordingCountKey = "recordingCount";
const userCountPrefix = "recordingCount|";

export function userCountKey(userId: string): string {
  return userCountPrefix + safeKey(userId);
}

export interface RecordingEntity {
  name: string;
  /** JSON arrays: a table property holds scalars only. */
  labels: string;
  applications: string;
  durationSeconds?: number;
  addedBy: string;
  addedAt: string;
  updatedAt: string;
  version: number;
}

export interface StoredRecording extends Recording {
  readonly version: number;
  /** The row's own ETag, for conditional writes. */
  readonly rowEtag: string;
}

export type NewRecording = Omit<Recording, "etag">;

export interface RecordingPage {
  readonly items: readonly StoredRecording[];
  /** The service's continuation token (opaque), when it says more may follow. */
  readonly continuationToken?: string;
}

/** A counter row as read: `etag` undefined when the row does not exist yet. */
export interface Counter {
  readonly count: number;
  readonly etag?: string;
}

/** What a recording write is conditional on, read together. */
export interface WriteGuard {
  /** The ETag of the writer's own role row; undefined when they hold no role row (any more). */
  readonly roleEtag: string | undefined;
  /** The process's counter; undefined when it was never written (a process without counted recordings). */
  readonly total: Counter | undefined;
  /** The writer's own counter, as `total`. */
  readonly mine: Counter | undefined;
  /** The recording asked about, when one was. */
  readonly recording?: StoredRecording;
}

export function versionTag(version: number): string {
  return `"v${version}"`;
}

export function toRecording(processId: string, entity: TableEntityResult<RecordingEntity>): StoredRecording {
  return {
    id: (entity.rowKey ?? "").slice(recordingPrefix.length),
    processId,
    name: entity.name,
    labels: JSON.parse(entity.labels) as string[],
    applications: JSON.parse(entity.applications) as string[],
    ...(entity.durationSeconds !== undefined && { durationSeconds: entity.durationSeconds }),
    addedBy: entity.addedBy,
    addedAt: entity.addedAt,
    updatedAt: entity.updatedAt,
    version: entity.version,
    etag: versionTag(entity.version),
    rowEtag: entity.etag,
  };
}

export function toCounter(
  entity: TableEntityResult<Record<string, unknown>> | undefined,
): Counter | undefined {
  if (entity === undefined) return undefined;
  const count = typeof entity.count === "number" ? entity.count : 0;
  return { count, etag: entity.etag };
}

/** A merge of nothing into the writer's role row, conditional on the ETag read: fails once it changed or went. */
export function roleGuard(partitionKey: string, writerId: string, roleEtag: string): TransactionAction {
  return ["update", { partitionKey, rowKey: rolePrefix + safeKey(writerId) }, "Merge", { etag: roleEtag }];
}

/** A counter moved to `count`, conditional on the ETag read, or created when it did not exist. */
export function counterWrite(
  partitionKey: string,
  rowKey: string,
  read: Counter | undefined,
  count: number,
): TransactionAction {
  return read?.etag === undefined
    ? ["create", { partitionKey, rowKey, count }]
    : ["update", { partitionKey, rowKey, count }, "Merge", { etag: read.etag }];
}
