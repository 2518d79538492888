import { odata, type TableClient, type TableEntityResult } from "@azure/data-tables";

import { compareKeys, pageSettings, processRowKey, rolePrefix } from "../storage/processPartition.js";
import { isNotFound, safeKey } from "../storage/tables.js";
import {
  type Counter,
  recordingCountKey,
  type RecordingEntity,
  type RecordingPage,
  recordingPrefix,
  recordingRangeEnd,
  type StoredRecording,
  toCounter,
  toRecording,
  userCountKey,
  type WriteGuard,
} from "./recordingRows.js";

/**
 * The recordings' reads, in their process's partition (laid out in recordingStore.ts): the
 * guard rows a write is conditional on, the counters, one recording, a page of them.
 */
export class RecordingReads {
  constructor(protected readonly table: TableClient) {}

  /**
   * The writer's role row, the counters and (when asked) one recording, read together, after
   * the process row that authorized the writer: a revoke that commits in between has already
   * deleted or rewritten the role row.
   */
  async readGuard(processId: string, writerId: string, recordingId?: string): Promise<WriteGuard> {
    const keys = [rolePrefix + safeKey(writerId), recordingCountKey, userCountKey(writerId)];
    if (recordingId !== undefined) keys.push(recordingPrefix + safeKey(recordingId));
    const rows = await this.readRows(processId, keys);
    const recording =
      recordingId === undefined ? undefined : rows.get(recordingPrefix + safeKey(recordingId));
    return {
      roleEtag: rows.get(rolePrefix + safeKey(writerId))?.etag,
      total: toCounter(rows.get(recordingCountKey)),
      mine: toCounter(rows.get(userCountKey(writerId))),
      ...(recording !== undefined && {
        recording: toRecording(processId, recording as unknown as TableEntityResult<RecordingEntity>),
      }),
    };
  }

  /** One user's counter (a point read). */
  async readCounter(processId: string, userId: string): Promise<Counter | undefined> {
    return toCounter((await this.readRows(processId, [userCountKey(userId)])).get(userCountKey(userId)));
  }

  /**
   * Counts the recordings there are, and those `userId` added: what a counter row starts from
   * when it does not exist yet (a process whose recordings predate the counters).
   */
  async countRecordings(processId: string, userId: string): Promise<{ total: number; mine: number }> {
    const partitionKey = safeKey(processId);
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey gt ${recordingPrefix} and RowKey lt ${recordingRangeEnd}`;
    let total = 0;
    let mine = 0;
    for await (const entity of this.table.listEntities<{ addedBy: string }>({
      queryOptions: { filter, select: ["addedBy"] },
    })) {
      total += 1;
      if (entity.addedBy === userId) mine += 1;
    }
    return { total, mine };
  }

  /**
   * Whether the process still exists (an add checks this after its commit): its row is there and
   * is not the tombstone a delete leaves on it while it sweeps the partition.
   */
  async processExists(processId: string): Promise<boolean> {
    try {
      const row = await this.table.getEntity<{ deleting?: boolean }>(safeKey(processId), processRowKey, {
        queryOptions: { select: ["RowKey", "deleting"] },
      });
      return row.deleting !== true;
    } catch (error) {
      if (isNotFound(error)) return false;
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
   * Some rows of one partition by row key, as point reads sent together: one round trip's
   * latency, and none of them a scan of a partition that may hold thousands of recordings.
   */
  protected async readRows(
    processId: string,
    rowKeys: readonly string[],
  ): Promise<Map<string, TableEntityResult<Record<string, unknown>>>> {
    const partitionKey = safeKey(processId);
    const read = await Promise.all(
      rowKeys.map(async (rowKey) => {
        try {
          return await this.table.getEntity(partitionKey, rowKey);
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    );
    const rows = new Map<string, TableEntityResult<Record<string, unknown>>>();
    for (const entity of read) if (entity !== undefined) rows.set(entity.rowKey ?? "", entity);
    return rows;
  }
}
