import type { Authorized, ProcessAccess as ProcessService } from "../domain/authorization.js";
import { newId } from "../domain/ids.js";
import type { Action, Caller, Page } from "../domain/model.js";
import { mayChangeRecording, supportsRecordings } from "../domain/permissions.js";
import {
  ConcurrencyError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from "../errors.js";
import type { Clock } from "../ports.js";
import type { Recording } from "./recording.js";
import type { AddRecordingInput, UpdateRecordingInput } from "./recordingSchemas.js";
import type { RecordingStore, StoredRecording } from "./recordingStore.js";

/**
 * The task-mining recordings use cases. Who may do what comes from the permission table,
 * through the process's one point read; each call then touches that process's recordings only.
 */

export interface RecordingServiceOptions {
  readonly processes: ProcessService;
  readonly store: RecordingStore;
  readonly clock: Clock;
}

/** An edit without `If-Match` that keeps losing races reads again, a bounded number of times. */
const maxAttempts = 10;

export class RecordingService {
  constructor(private readonly options: RecordingServiceOptions) {}

  private get store(): RecordingStore {
    return this.options.store;
  }

  async list(
    caller: Caller,
    processId: string,
    top: number,
    continuationToken: string | undefined,
  ): Promise<Page<Recording>> {
    const position = decodePosition(continuationToken);
    await this.authorize(caller, processId, "read");
    const page = await this.store.list(processId, top, position);
    const items = page.items.map(publicRecording);
    return page.continuationToken === undefined
      ? { items }
      : { items, continuationToken: encodePosition(page.continuationToken) };
  }

  async get(caller: Caller, processId: string, recordingId: string): Promise<Recording> {
    await this.authorize(caller, processId, "read");
    return publicRecording(await this.existing(processId, recordingId));
  }

  async add(caller: Caller, processId: string, input: AddRecordingInput): Promise<Recording> {
    await this.authorize(caller, processId, "addRecording");
    const at = this.options.clock.now().toISOString();
    const added = await this.store.add({
      id: newId(),
      processId,
      name: input.name,
      labels: input.labels,
      applications: input.applications,
      ...(input.durationSeconds !== undefined && { durationSeconds: input.durationSeconds }),
      addedBy: caller.id,
      addedAt: at,
      updatedAt: at,
    });
    // The process was deleted between the authorization and the write.
    if (added === undefined) throw new NotFoundError();
    return publicRecording(added);
  }

  /** Renames or relabels; with `If-Match`, only the version the client holds may be changed. */
  async update(
    caller: Caller,
    processId: string,
    recordingId: string,
    changes: UpdateRecordingInput,
    ifMatch: string | undefined,
  ): Promise<Recording> {
    const { actions } = await this.authorizeChange(caller, processId);
    const strict = ifMatch !== undefined && ifMatch !== "*";
    for (let attempt = 1; ; attempt++) {
      const recording = await this.existing(processId, recordingId);
      assertMayChange(actions, recording, caller);
      if (strict && ifMatch !== recording.etag) throw new PreconditionFailedError();
      try {
        const updated = await this.store.update(recording, {
          name: changes.name ?? recording.name,
          labels: changes.labels ?? recording.labels,
          updatedAt: this.options.clock.now().toISOString(),
        });
        if (updated === undefined) throw recordingNotFound();
        return publicRecording(updated);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        // Another edit won: the version the client holds is gone.
        if (strict) throw new PreconditionFailedError();
        if (attempt >= maxAttempts) {
          throw new ConflictError("conflict", "The recording is being changed by someone else; try again.");
        }
        await backoff(attempt);
      }
    }
  }

  async delete(
    caller: Caller,
    processId: string,
    recordingId: string,
    ifMatch: string | undefined,
  ): Promise<void> {
    const { actions } = await this.authorizeChange(caller, processId);
    const recording = await this.existing(processId, recordingId);
    assertMayChange(actions, recording, caller);
    const strict = ifMatch !== undefined && ifMatch !== "*";
    if (strict && ifMatch !== recording.etag) throw new PreconditionFailedError();
    try {
      const deleted = await this.store.delete(processId, recordingId, strict ? recording.rowEtag : undefined);
      if (!deleted) throw recordingNotFound();
    } catch (error) {
      if (error instanceof ConcurrencyError) throw new PreconditionFailedError();
      throw error;
    }
  }

  /**
   * Recordings are part of the process: who may not read it may not touch them (a share-only
   * caller gets 403). A kind without recordings is refused before the action is checked.
   */
  private async authorize(caller: Caller, processId: string, action: Action): Promise<Authorized> {
    const authorized = await this.options.processes.authorize(caller, processId, "read");
    if (!supportsRecordings(authorized.process.kind)) {
      throw new ConflictError(
        "recordings_not_supported",
        "Only task mining processes have recordings; this is a process mining process.",
      );
    }
    if (!authorized.actions.includes(action)) throw new ForbiddenError("forbidden", refusalFor(action));
    return authorized;
  }

  /** Labelling or deleting needs one of the recording actions before the recording is read. */
  private async authorizeChange(caller: Caller, processId: string): Promise<Authorized> {
    const authorized = await this.authorize(caller, processId, "read");
    if (!authorized.actions.some((action) => action === "addRecording" || action === "manageAllRecordings")) {
      throw new ForbiddenError("forbidden", refusalFor("manageAllRecordings"));
    }
    return authorized;
  }

  private async existing(processId: string, recordingId: string): Promise<StoredRecording> {
    const recording = await this.store.get(processId, recordingId);
    if (recording === undefined) throw recordingNotFound();
    return recording;
  }
}

function assertMayChange(actions: readonly Action[], recording: StoredRecording, caller: Caller): void {
  if (!mayChangeRecording(actions, recording.addedBy, caller.id)) {
    throw new ForbiddenError(
      "forbidden",
      "Contributors can label and delete only their own recordings; owners and co-owners manage all.",
    );
  }
}

function refusalFor(action: Action): string {
  switch (action) {
    case "addRecording":
      return "Only owners, co-owners and contributors can add recordings to this process.";
    case "manageAllRecordings":
      return "Only owners, co-owners and contributors can label or delete recordings of this process.";
    default:
      return "You are not allowed to see the recordings of this process.";
  }
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

// ---- the list's opaque continuation token: the storage service's own, wrapped ----

function encodePosition(page: string): string {
  return Buffer.from(JSON.stringify({ page })).toString("base64url");
}

/** The storage token inside; the store checks it has the SDK's envelope. */
function decodePosition(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null) {
      const { page } = value as Record<string, unknown>;
      if (typeof page === "string") return page;
    }
  } catch {
    // fall through: a token we did not make
  }
  throw new ValidationError([
    { field: "continuationToken", message: "not a continuation token this service issued" },
  ]);
}
