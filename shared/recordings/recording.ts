import type { Action, ProcessKind } from "../domain/model.js";
import { permissionTable, rolesOf } from "../domain/permissions.js";

/** A task-mining recording's metadata (the recorded files themselves live elsewhere). */
export interface Recording {
  readonly id: string;
  readonly processId: string;
  readonly name: string;
  readonly labels: readonly string[];
  readonly applications: readonly string[];
  readonly durationSeconds?: number;
  readonly addedBy: string;
  readonly addedAt: string;
  readonly updatedAt: string;
  /** Opaque version for `ETag`/`If-Match`. */
  readonly etag: string;
}

/** A kind has recordings when some role of it may add them (the table says `n/a` otherwise). */
export function supportsRecordings(kind: ProcessKind): boolean {
  return rolesOf(kind).some((role) => permissionTable[kind][role]?.includes("addRecording") === true);
}

/** Labelling or deleting a recording: anyone's with `manageAllRecordings`, one's own with `addRecording`. */
export function mayChangeRecording(
  actions: readonly Action[],
  recording: Pick<Recording, "addedBy">,
  callerId: string,
): boolean {
  return (
    actions.includes("manageAllRecordings") ||
    (actions.includes("addRecording") && recording.addedBy === callerId)
  );
}
