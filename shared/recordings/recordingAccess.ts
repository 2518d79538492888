import type { Authorized, ProcessAccess } from "../domain/authorization.js";
import type { Action, Caller } from "../domain/model.js";
import { mayChangeRecording, supportsRecordings } from "../domain/permissions.js";
import { ConflictError, ForbiddenError } from "../errors.js";
import type { StoredRecording } from "./recordingRows.js";

/**
 * Recordings are part of the process: who may not read it may not touch them (a share-only
 * caller gets 403). A kind without recordings is refused before the action is checked.
 */
export async function authorizeRecordings(
  processes: ProcessAccess,
  caller: Caller,
  processId: string,
  action: Action,
): Promise<Authorized> {
  const authorized = await processes.authorize(caller, processId, "read");
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
export async function authorizeRecordingChange(
  processes: ProcessAccess,
  caller: Caller,
  processId: string,
): Promise<Authorized> {
  const authorized = await authorizeRecordings(processes, caller, processId, "read");
  if (!authorized.actions.some((action) => action === "addRecording" || action === "manageAllRecordings")) {
    throw new ForbiddenError("forbidden", refusalFor("manageAllRecordings"));
  }
  return authorized;
}

/** Contributors change only what they added; owners and co-owners change all. */
export function assertMayChange(
  actions: readonly Action[],
  recording: StoredRecording,
  caller: Caller,
): void {
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
