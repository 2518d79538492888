import { conditional } from "../storage/processPartition.js";
import { isNotFound, safeKey, statusOf } from "../storage/tables.js";
import { RecordingReads } from "./recordingReads.js";
import {
  type Counter,
  counterWrite,
  type NewRecording,
  recordingCountKey,
  type RecordingEntity,
  recordingPrefix,
  roleGuard,
  type StoredRecording,
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

export class RecordingStore extends RecordingReads {
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
}
