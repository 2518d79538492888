import { BadRequestError, ConflictError } from "../errors.js";
import type { ProcessAccess } from "./authorization.js";
import { holdingOf } from "./expiry.js";
import type { Action, Caller, EnvironmentRights, StoredProcess } from "./model.js";
import { allowedActions, isPendingOwner } from "./permissions.js";
import type { RoleChanges } from "./roleChanges.js";
import type { PlannedChange } from "./rolePlan.js";
import type { SharingPorts } from "./sharingCore.js";
import { requireOfferTo } from "./transferOffer.js";

export interface ReassignResult {
  readonly ownerId: string;
  readonly previousOwnerId: string;
  /** What became of the previous owner: co-owner, or removed when their account is gone or disabled. */
  readonly previousOwnerRole: "coOwner" | null;
  readonly status: "updated" | "unchanged";
}

/**
 * The owner changes hands (issue 14) through the one role write path, RoleChanges: the new owner's
 * and the old owner's role, the process row's `ownerId` and offer, both role rows and both audit
 * entries commit in one transaction conditional on the row's ETag, after both list rows were
 * recorded for the repair sweep and written ahead. No crash leaves a list half-done: the sweep
 * puts every recorded row back in line with whichever process row committed.
 */
export class TransferOwnership {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
    private readonly roleChanges: RoleChanges,
  ) {}

  /** The pending owner takes the offer: they become owner, the owner a co-owner. */
  async accept(caller: Caller, processId: string): Promise<void> {
    const first = await this.access.loadAuthorized(caller, processId, "read");
    requireOfferTo(first, caller);
    await this.roleChanges.apply({
      caller,
      processId,
      // Re-checked on every attempt's row: revoked meanwhile is 403, the offer gone is 409.
      action: "read",
      first,
      planFor: (current) => {
        requireOfferTo(
          {
            ...first,
            process: current,
            actions: actionsNow(current, caller, first.rights, this.ports.clock.now()),
          },
          caller,
        );
        return handOver(current, caller.id, "ownershipAccepted", "coOwner");
      },
      processRow: () => ({ ownerId: caller.id, pendingOwner: null }),
      sendInvitation: false,
    });
  }

  /**
   * A system administrator gives the process to any enabled user of the directory (offboarding);
   * the previous owner stays as co-owner, or is removed when the directory no longer has them
   * enabled. A waiting offer is void: it was the previous owner's.
   */
  async reassign(caller: Caller, processId: string, principalId: string): Promise<ReassignResult> {
    const first = await this.access.loadAuthorized(caller, processId, "reassignOwnership");
    const previousOwnerId = first.process.ownerId;
    if (principalId === previousOwnerId)
      return { ownerId: principalId, previousOwnerId, previousOwnerRole: "coOwner", status: "unchanged" };
    const [target] = await this.ports.directory.resolve([{ id: principalId }]);
    if (target?.outcome === "group")
      throw new BadRequestError("groups_not_supported", "Only a user can own a process, not a group.");
    if (target?.outcome === "disabled")
      throw new BadRequestError("principal_disabled", "That user's account is disabled.");
    if (target?.outcome !== "user")
      throw new BadRequestError("principal_not_found", "No user of this organization has that id.");
    const previous = (await this.ports.directory.getUsers([previousOwnerId])).get(previousOwnerId);
    const previousOwnerRole = previous?.accountEnabled === true ? "coOwner" : null;
    await this.roleChanges.apply({
      caller,
      processId,
      action: "reassignOwnership",
      first,
      planFor: (current) => {
        // The directory was asked about this owner; another transfer since means deciding again.
        if (current.ownerId !== previousOwnerId)
          throw new ConflictError("conflict", "The owner changed meanwhile; try again.");
        return handOver(current, principalId, "ownershipReassigned", previousOwnerRole);
      },
      processRow: () => ({ ownerId: principalId, pendingOwner: null }),
      sendInvitation: false,
    });
    return { ownerId: principalId, previousOwnerId, previousOwnerRole, status: "updated" };
  }
}

/** The two changes of a transfer, planned from the row they commit on. */
function handOver(
  process: StoredProcess,
  newOwnerId: string,
  operation: "ownershipAccepted" | "ownershipReassigned",
  previousOwnerRole: "coOwner" | null,
): PlannedChange[] {
  const from = process.members[newOwnerId];
  const joining = from === undefined || from === "revoked";
  return [
    {
      index: 0,
      principalId: newOwnerId,
      from,
      to: "owner",
      status: joining ? "granted" : "updated",
      operation,
    },
    {
      index: 1,
      principalId: process.ownerId,
      from: "owner",
      to: previousOwnerRole,
      status: "updated",
      operation: previousOwnerRole === null ? "revoked" : "changed",
    },
  ];
}

/** What the caller may do on a later attempt's row, from the permission table (an expired role is none). */
function actionsNow(process: StoredProcess, caller: Caller, rights: EnvironmentRights, now: Date): Action[] {
  const { role } = holdingOf(process, caller.id, now);
  return allowedActions(process.kind, role, rights, { pendingOwner: isPendingOwner(process, caller.id) });
}
