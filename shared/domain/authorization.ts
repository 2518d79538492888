import { ForbiddenError, NotFoundError } from "../errors.js";
import { holdingOf } from "./expiry.js";
import type { Action, Caller, EnvironmentRights, Role, StoredProcess } from "./model.js";
import { allowedActions, isPendingOwner } from "./permissions.js";
import { isPastGrace, listRowFor, rightsOf, type SharingPorts } from "./sharingCore.js";

export interface Authorized {
  readonly process: StoredProcess;
  readonly role: Role | null;
  readonly rights: EnvironmentRights;
  readonly actions: readonly Action[];
}

/**
 * The one door to a process: every read in a read or write path comes through
 * `loadAuthorized`, which reads the process row and decides on it. A caller who may not know
 * the process gets 404; one whose roles were revoked gets 403 `access_revoked`. What it finds in
 * the way (a list row an interrupted write left behind) it heals, granted or refused.
 */
export class ProcessAccess {
  constructor(private readonly ports: SharingPorts) {}

  async loadAuthorized(
    caller: Caller,
    processId: string,
    action: Action,
    options: { allowDeleting?: boolean } = {},
  ): Promise<Authorized> {
    const found = await this.ports.processes.read(processId);
    const rights = rightsOf(this.ports, caller);
    // A process whose delete has begun is gone, except to that delete's own retry.
    const process = found?.deleting === true && options.allowDeleting !== true ? undefined : found;
    if (process === undefined) {
      await this.healMissing(caller.id, processId, rights);
      throw new NotFoundError();
    }
    // An expired role is no role, checked here against the clock: no timer needs to have run.
    const { state, role } = holdingOf(process, caller.id, this.ports.clock.now());
    // An expired pending owner has no role, so allowedActions gives them no acceptOwnership.
    const actions = allowedActions(process.kind, role, rights, {
      pendingOwner: isPendingOwner(process, caller.id),
    });
    if (actions.includes(action)) {
      // Granted by an environment right alone: the caller's own row is not checked by anything else.
      if (role === null && action === "read") await this.healRow(caller.id, process);
      return { process, role, rights, actions };
    }
    // Refused: the caller's own row must still agree (a right from the environment refuses too).
    await this.healRow(caller.id, process);
    if (state === "revoked")
      throw new ForbiddenError("access_revoked", "Your access to this process was revoked.");
    if (state === "expired")
      throw new ForbiddenError("access_revoked", "Your access to this process has expired.");
    if (actions.length > 0) throw new ForbiddenError("forbidden", refusalFor(action));
    throw new NotFoundError();
  }

  /** The name the recordings and invitations code knows this by. */
  async authorize(caller: Caller, processId: string, action: Action): Promise<Authorized> {
    return await this.loadAuthorized(caller, processId, action);
  }

  /** The process does not exist: a row pointing at it was left by a crashed create or delete. */
  private async healMissing(userId: string, processId: string, rights: EnvironmentRights): Promise<void> {
    const entry = await this.ports.lists.get(userId, processId);
    if (entry !== undefined && isPastGrace(this.ports, entry.addedAt))
      await this.ports.lists.remove(userId, processId);
    if (!rights.isAdministrator) return;
    const indexedAt = await this.ports.index.addedAt("processMining", processId);
    if (indexedAt !== undefined && isPastGrace(this.ports, indexedAt))
      await this.ports.index.remove("processMining", processId);
  }

  /** Makes the caller's own row agree with the process, once it is past the grace of a write on its way. */
  private async healRow(userId: string, process: StoredProcess): Promise<void> {
    const entry = await this.ports.lists.get(userId, process.id);
    if (entry === undefined || !isPastGrace(this.ports, entry.addedAt)) {
      if (entry === undefined && process.members[userId] === "revoked") {
        const row = listRowFor(process, userId, this.ports.clock.now().toISOString());
        if (row !== undefined) await this.ports.lists.put(userId, row);
      }
      return;
    }
    const want = listRowFor(process, userId, this.ports.clock.now().toISOString());
    if (want === undefined) await this.ports.lists.remove(userId, process.id);
    else if (
      want.role !== entry.role ||
      want.accessRevoked !== entry.accessRevoked ||
      want.name !== entry.name ||
      want.expiresAt !== entry.expiresAt
    )
      await this.ports.lists.put(userId, want);
  }
}

function refusalFor(action: Action): string {
  switch (action) {
    case "share":
    case "viewAccess":
      return "Only owners and co-owners can manage who has access to this process.";
    case "update":
      return "Only owners and co-owners can change this process.";
    case "delete":
      return "You cannot delete this process.";
    default:
      return "You are not allowed to do that on this process.";
  }
}
