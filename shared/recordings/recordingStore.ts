import { odata, type TableClient, type TableEntityResult } from "@azure/data-tables";

import { compareKeys, conditional, pageSettings, processRowKey } from "../storage/processPartition.js";
import { isNotFound, safeKey } from "../storage/tables.js";
import type { Recording } from "./recording.js";

/**
 * Recordings live in their process's partition of the `Processes` table:
 *
 *   Processes   PK = processId   RK = "recording|{recordingId}"
 *
 * so every request costs reads of that one partition only, and deleting the process (which
 * sweeps its whole partition) deletes its recordings.
 */

export const recordingPrefix = "recording|";
/** The first row key past the recordings range (`}` sorts right after `|`). */
const recordingRangeEnd = "recording}";

interface RecordingEntity {
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

function versionTag(version: number): string {
  return `"v${version}"`;
}

function toRecording(processId: string, entity: TableEntityResult<RecordingEntity>): StoredRecording {
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

export class RecordingStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Inserts the recording together with a no-op merge of the process row: the transaction
   * fails as a whole when the process is gone, so a recording never outlives its process.
   * Undefined when the process is gone.
   */
  async add(recording: NewRecording): Promise<StoredRecording | undefined> {
    const partitionKey = safeKey(recording.processId);
    const rowKey = recordingPrefix + safeKey(recording.id);
    const entity: RecordingEntity = {
      name: recording.name,
      labels: JSON.stringify(recording.labels),
      applications: JSON.stringify(recording.applications),
      ...(recording.durationSeconds !== undefined && { durationSeconds: recording.durationSeconds }),
      addedBy: recording.addedBy,
      addedAt: recording.addedAt,
      updatedAt: recording.updatedAt,
      version: 1,
    };
    try {
      const result = await this.table.submitTransaction([
        ["create", { partitionKey, rowKey, ...entity }],
        ["update", { partitionKey, rowKey: processRowKey }, "Merge"],
      ]);
      const rowEtag = result.getResponseForEntity(rowKey)?.etag ?? "";
      return { ...recording, version: 1, etag: versionTag(1), rowEtag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async get(processId: string, recordingId: string): Promise<StoredRecording | undefined> {
    try {
      const entity = await this.table.getEntity<RecordingEntity>(
        safeKey(processId),
        recordingPrefix + safeKey(recordingId),
      );
      return toRecording(processId, entity);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * One page, in id order within the page: one query over the process's `recording|` range. The
   * next page starts where the service's own continuation token says (opaque: Cosmos DB for Table
   * neither sorts nor shapes its tokens like keys, so a page is never resumed "after the last id").
   */
  async list(processId: string, top: number, continuationToken?: string): Promise<RecordingPage> {
    const partitionKey = safeKey(processId);
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey gt ${recordingPrefix} and RowKey lt ${recordingRangeEnd}`;
    const page = await this.table
      .listEntities<RecordingEntity>({ queryOptions: { filter } })
      .byPage(pageSettings(top, continuationToken))
      .next();
    if (page.done === true) return { items: [] };
    const items = [...page.value]
      .sort((a, b) => compareKeys(a.rowKey, b.rowKey))
      .map((entity) => toRecording(processId, entity));
    const next = page.value.continuationToken;
    return next === undefined ? { items } : { items, continuationToken: next };
  }

  /**
   * Name and labels, conditional on the row read: a concurrent change makes this a
   * ConcurrencyError. Undefined when the recording was deleted meanwhile.
   */
  async update(
    recording: StoredRecording,
    changes: { name: string; labels: readonly string[]; updatedAt: string },
  ): Promise<StoredRecording | undefined> {
    const version = recording.version + 1;
    try {
      const result = await conditional(() =>
        this.table.updateEntity(
          {
            partitionKey: safeKey(recording.processId),
            rowKey: recordingPrefix + safeKey(recording.id),
            name: changes.name,
            labels: JSON.stringify(changes.labels),
            updatedAt: changes.updatedAt,
            version,
          },
          "Merge",
          { etag: recording.rowEtag },
        ),
      );
      return {
        ...recording,
        ...changes,
        version,
        etag: versionTag(version),
        rowEtag: result.etag ?? "",
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Deletes the recording, conditional on `rowEtag` when given; false when it was already gone. */
  async delete(processId: string, recordingId: string, rowEtag?: string): Promise<boolean> {
    try {
      await conditional(() =>
        this.table.deleteEntity(safeKey(processId), recordingPrefix + safeKey(recordingId), {
          etag: rowEtag ?? "*",
        }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}
