import type { ProcessAccess as ProcessService } from "../domain/authorization.js";
import { newId } from "../domain/ids.js";
import type { Caller, Page } from "../domain/model.js";
import { ConcurrencyError, ConflictError, NotFoundError, PreconditionFailedError } from "../errors.js";
import type { Clock } from "../ports.js";
import type { Recording } from "./recording.js";
import { assertMayChange, authorizeRecordingChange, authorizeRecordings } from "./recordingAccess.js";
import type { Counter, StoredRecording } from "./recordingRows.js";
import type { AddRecordingInput, UpdateRecordingInput } from "./recordingSchemas.js";
import type { RecordingStore } from "./recordingStore.js";

/**
 * The task-mining recordings use cases. Who may do what comes from the permission table,
 * through the process's one point read; each call then touches that process's recordings only.
 */

export interface RecordingLimits {
  /** Recordings one process may hold. */
  readonly perProcess: number;
  /** Recordings one user may hold in one process (those they added, revoked or not). */
  readonly perUser: number;
}

export interface RecordingServiceOptions {
  readonly processes: ProcessService;
  readonly store: RecordingStore;
  readonly clock: Clock;
  /** From RECORDINGS_MAX_PER_PROCESS and RECORDINGS_MAX_PER_USER. */
  readonly limits: RecordingLimits;
}

/**
 * A write that keeps losing races reads again, a bounded number of times. Adds race each other
 * on the process's counter, so they get more tries than edits of one recording.
 */
const maxAttempts = 10;
const maxAddAttempts = 25;

export class RecordingService {
  constructor(private readonly options: RecordingServiceOptions) {}

  private get store(): RecordingStore {
    return this.options.store;
  }

  /**
   * One page; `position` is the storage service's own continuation, opened from a token the
   * HTTP edge sealed for this caller and this process's recordings, and the next one comes back
   * in `continuationToken` for the edge to seal again.
   */
  async list(
    caller: Caller,
    processId: string,
    top: number,
    position: string | undefined,
  ): Promise<Page<Recording>> {
    await authorizeRecordings(this.options.processes, caller, processId, "read");
    const page = await this.store.list(processId, top, position);
    const items = page.items.map(publicRecording);
    return page.continuationToken === undefined
      ? { items }
      : { items, continuationToken: page.continuationToken };
  }

  async get(caller: Caller, processId: string, recordingId: string): Promise<Recording> {
    await authorizeRecordings(this.options.processes, caller, processId, "read");
    return publicRecording(await this.existing(processId, recordingId));
  }

  /**
   * Adds a recording. Every attempt authorizes against the process row, then commits only while
   * the caller's role row is as read after it (a revoke meanwhile fails the commit, and the next
   * attempt answers 403), and within the limits, counted by conditional counters.
   */
  async add(caller: Caller, processId: string, input: AddRecordingInput): Promise<Recording> {
    const at = this.options.clock.now().toISOString();
    const recording = {
      id: newId(),
      processId,
      name: input.name,
      labels: input.labels,
      applications: input.applications,
      ...(input.durationSeconds !== undefined && { durationSeconds: input.durationSeconds }),
      addedBy: caller.id,
      addedAt: at,
      updatedAt: at,
    };
    for (let attempt = 1; ; attempt++) {
      await authorizeRecordings(this.options.processes, caller, processId, "addRecording");
      const guard = await this.store.readGuard(processId, caller.id);
      if (guard.roleEtag !== undefined) {
        const counted =
          guard.total === undefined || guard.mine === undefined
            ? await this.store.countRecordings(processId, caller.id)
            : undefined;
        const total = guard.total?.count ?? counted?.total ?? 0;
        const mine = guard.mine?.count ?? counted?.mine ?? 0;
        this.assertWithinLimits(total, mine);
        try {
          const added = await this.store.add(recording, guard, { total: total + 1, mine: mine + 1 });
          // The process was deleted after this commit's guard was read, and its sweep had already listed the partition.
          if (!(await this.store.processExists(processId))) {
            await this.store.removeOrphan(processId, recording.id, caller.id);
            throw new NotFoundError();
          }
          return publicRecording(added);
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
      // A role row missing, or a lost race: the next attempt authorizes again.
      if (attempt >= maxAddAttempts) throw busy();
      await backoff(attempt);
    }
  }

  /** Renames or relabels; with `If-Match`, only the version the client holds may be changed. */
  async update(
    caller: Caller,
    processId: string,
    recordingId: string,
    changes: UpdateRecordingInput,
    ifMatch: string | undefined,
  ): Promise<Recording> {
    const strict = ifMatch !== undefined && ifMatch !== "*";
    for (let attempt = 1; ; attempt++) {
      const read = await this.readForChange(caller, processId, recordingId, ifMatch);
      if (read !== undefined) {
        try {
          const updated = await this.store.update(
            read.recording,
            {
              name: changes.name ?? read.recording.name,
              labels: changes.labels ?? read.recording.labels,
              updatedAt: this.options.clock.now().toISOString(),
            },
            { writerId: caller.id, roleEtag: read.roleEtag, author: read.author },
          );
          return publicRecording(updated);
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
      // Lost a race: the next read tells a deletion (404), another version (412) or a revoke (403).
      if (attempt >= maxAttempts) throw strict ? new PreconditionFailedError() : busy();
      await backoff(attempt);
    }
  }

  async delete(
    caller: Caller,
    processId: string,
    recordingId: string,
    ifMatch: string | undefined,
  ): Promise<void> {
    const strict = ifMatch !== undefined && ifMatch !== "*";
    for (let attempt = 1; ; attempt++) {
      const read = await this.readForChange(caller, processId, recordingId, ifMatch);
      if (read !== undefined) {
        try {
          await this.store.delete(read.recording, {
            writerId: caller.id,
            roleEtag: read.roleEtag,
            total: read.total,
            author: read.author,
          });
          return;
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
      // Deleted meanwhile is a 404 on the next read, not a 412: only a version the client named can fail a precondition.
      if (attempt >= maxAttempts) throw strict ? new PreconditionFailedError() : busy();
      await backoff(attempt);
    }
  }

  private assertWithinLimits(total: number, mine: number): void {
    if (total >= this.options.limits.perProcess) {
      throw new ConflictError(
        "too_many_recordings",
        `This process holds the most recordings it may (${this.options.limits.perProcess}); delete some to add more.`,
      );
    }
    if (mine >= this.options.limits.perUser) {
      throw new ConflictError(
        "too_many_recordings",
        `You hold the most recordings one person may add to a process (${this.options.limits.perUser}); delete some to add more.`,
      );
    }
  }

  /**
   * One attempt's reads for a label edit or a delete: the process row (authorization), then the
   * recording, the caller's role row and the counters in one query. Throws what the caller must
   * be told; undefined when a write raced in between (read again).
   */
  private async readForChange(
    caller: Caller,
    processId: string,
    recordingId: string,
    ifMatch: string | undefined,
  ): Promise<{ recording: StoredRecording; roleEtag: string; total: Counter; author: Counter } | undefined> {
    const { actions } = await authorizeRecordingChange(this.options.processes, caller, processId);
    const guard = await this.store.readGuard(processId, caller.id, recordingId);
    const recording = guard.recording;
    if (recording === undefined) throw recordingNotFound();
    assertMayChange(actions, recording, caller);
    if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== recording.etag) {
      throw new PreconditionFailedError();
    }
    if (guard.roleEtag === undefined) return undefined;
    const author =
      recording.addedBy === caller.id
        ? guard.mine
        : await this.store.readCounter(processId, recording.addedBy);
    if (guard.total?.etag === undefined || author?.etag === undefined) {
      // Recordings that predate the counters: count them once, then read again.
      await this.store.initializeCounters(processId, recording.addedBy);
      return undefined;
    }
    return { recording, roleEtag: guard.roleEtag, total: guard.total, author };
  }

  private async existing(processId: string, recordingId: string): Promise<StoredRecording> {
    const recording = await this.store.get(processId, recordingId);
    if (recording === undefined) throw recordingNotFound();
    return recording;
  }
}

function busy(): ConflictError {
  return new ConflictError(
    "conflict",
    "The recordings of this process are being changed by others; try again.",
  );
}

function recordingNotFound(): NotFoundError {
  return new NotFoundError("The recording does not exist.");
}

function publicRecording(recording: StoredRecording): Recording {
  const { version: _version, rowEtag: _rowEtag, ...rest } = recording;
  return rest;
}

async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 5 * 2 ** Math.min(attempt, 6));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
