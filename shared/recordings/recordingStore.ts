import { odata, type TableClient, type TableEntityResult } from "@azure/data-tables";

import {
  compareKeys,
  conditional,
  pageSettings,
  processRowKey,
  rolePrefix,
} from "../storage/processPartition.js";
import { isNotFound, safeKey, statusOf } from "../storage/tables.js";
import {
  type Counter,
  counterWrite,
  type NewRecording,
  recordingCountKey,
  type RecordingEntity,
  type RecordingPage,
  recordingPrefix,
  recordingRangeEnd,
  roleGuard,
  type StoredRecording,
  toCounter,
  toRecording,
  userCountKey,
  versionTag,
  type WriteGuard,
} from "./recordingRows.js";

/**
 * Recordings live in their process's partition of the `Processes` table:
 *
 *   Processes   PK = processId   RK = "recording|{recordingId}"      a recording
 *                                RK = "recordingCount"                how many the process has
 *                                RK = "recordingCount|{userId}"       how many of them that user added
 *
 * so every request costs reads of that one partition only, and deleting the process (which
 * sweeps its whole partition) deletes its recordings.
 *
 * A recording write never touches the process row (whose ETag every role change is conditional
 * on, so touching it would let a contributor starve their own revocation). Each write is instead
 * one entity-group transaction with a no-op merge of the writer's own role row, conditional on
 * the ETag read: a revoke or role change that commits meanwhile rewrites or deletes that row
 * (unconditionally, see ProcessStore.commitRoleChanges), so the write fails and is re-authorized,
 * while the revoke never waits for recordings. Adds and deletes move the counters in the same
 * transaction, conditional on their ETags, so concurrent adds cannot overshoot a limit.
 */

export class RecordingStore {
  constructor(private readonly table: TableClient) {}

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
   * Inserts the recording, moves both counters to `counts` and merges nothing into the writer's
   * role row, in one transaction conditional on every ETag in `guard`. A lost race (a revoke,
   * another add, the process deleted) is a ConcurrencyError: the caller reads again.
   */
  async add(
    recording: NewRecording,
    guard: WriteGuard,
    counts: { readonly total: number; readonly mine: number },
  ): Promise<StoredRecording> {
    if (guard.roleEtag === undefined) throw new Error("a recording is written only by a role holder");
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
    const result = await conditional(() =>
      this.table.submitTransaction([
        ["create", { partitionKey, rowKey, ...entity }],
        roleGuard(partitionKey, recording.addedBy, guard.roleEtag ?? ""),
        counterWrite(partitionKey, recordingCountKey, guard.total, counts.total),
        counterWrite(partitionKey, userCountKey(recording.addedBy), guard.mine, counts.mine),
      ]),
    );
    const rowEtag = result.getResponseForEntity(rowKey)?.etag ?? "";
    return { ...recording, version: 1, etag: versionTag(1), rowEtag };
  }

  /** Whether the process row still exists (an add checks this after its commit). */
  async processExists(processId: string): Promise<boolean> {
    try {
      await this.table.getEntity(safeKey(processId), processRowKey, { queryOptions: { select: ["RowKey"] } });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Takes back an add that committed after its process was deleted (the delete's sweep had
   * already listed the partition): the recording and the counters it wrote.
   */
  async removeOrphan(processId: string, recordingId: string, addedBy: string): Promise<void> {
    const partitionKey = safeKey(processId);
    for (const rowKey of [recordingPrefix + safeKey(recordingId), recordingCountKey, userCountKey(addedBy)]) {
      try {
        await this.table.deleteEntity(partitionKey, rowKey);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
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
   * Writes the counters that do not exist yet, counted from the recordings there are (a
   * process whose recordings predate the counters). Losing a race to a writer who created
   * one meanwhile is fine: that one counts too.
   */
  async initializeCounters(processId: string, userId: string): Promise<void> {
    const partitionKey = safeKey(processId);
    const counted = await this.countRecordings(processId, userId);
    for (const [rowKey, count] of [
      [recordingCountKey, counted.total],
      [userCountKey(userId), counted.mine],
    ] as const) {
      try {
        await this.table.createEntity({ partitionKey, rowKey, count });
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
      }
    }
  }

  /**
   * Name and labels, conditional on the row read, on the writer's role row and on the author's
   * counter (which every write of the author's recordings touches, so that a delete conditional
   * on it sees this change): a concurrent change, a deletion or a revoke meanwhile makes this a
   * ConcurrencyError.
   */
  async update(
    recording: StoredRecording,
    changes: { name: string; labels: readonly string[]; updatedAt: string },
    guard: { readonly writerId: string; readonly roleEtag: string; readonly author: Counter },
  ): Promise<StoredRecording> {
    const partitionKey = safeKey(recording.processId);
    const rowKey = recordingPrefix + safeKey(recording.id);
    const version = recording.version + 1;
    const result = await conditional(() =>
      this.table.submitTransaction([
        [
          "update",
          {
            partitionKey,
            rowKey,
            name: changes.name,
            labels: JSON.stringify(changes.labels),
            updatedAt: changes.updatedAt,
            version,
          },
          "Merge",
          { etag: recording.rowEtag },
        ],
        roleGuard(partitionKey, guard.writerId, guard.roleEtag),
        counterWrite(partitionKey, userCountKey(recording.addedBy), guard.author, guard.author.count),
      ]),
    );
    return {
      ...recording,
      ...changes,
      version,
      etag: versionTag(version),
      rowEtag: result.getResponseForEntity(rowKey)?.etag ?? "",
    };
  }

  /**
   * Deletes the recording and counts it off both counters, conditional on their ETags and on the
   * writer's role row. A transaction cannot make a delete conditional on the row's own ETag, so
   * the author's counter stands for it: every write of the author's recordings moves its ETag.
   * Any change meanwhile makes this a ConcurrencyError, and the caller reads again.
   */
  async delete(
    recording: StoredRecording,
    guard: {
      readonly writerId: string;
      readonly roleEtag: string;
      readonly total: Counter;
      readonly author: Counter;
    },
  ): Promise<void> {
    const partitionKey = safeKey(recording.processId);
    await conditional(() =>
      this.table.submitTransaction([
        ["delete", { partitionKey, rowKey: recordingPrefix + safeKey(recording.id) }],
        roleGuard(partitionKey, guard.writerId, guard.roleEtag),
        counterWrite(partitionKey, recordingCountKey, guard.total, Math.max(0, guard.total.count - 1)),
        counterWrite(
          partitionKey,
          userCountKey(recording.addedBy),
          guard.author,
          Math.max(0, guard.author.count - 1),
        ),
      ]),
    );
  }

  /**
   * Some rows of one partition by row key, as point reads sent together: one round trip's
   * latency, and none of them a scan of a partition that may hold thousands of recordings.
   */
  private async readRows(
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
