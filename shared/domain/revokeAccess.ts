import { BadRequestError } from "../errors.js";
import type { ProcessAccess } from "./authorization.js";
import { holderRole } from "./changeRole.js";
import type { Caller } from "./model.js";
import type { RoleChanges } from "./roleChanges.js";

/** Revokes a holder's role, or the caller's own (leaving the process), through the one role write path. */
export class RevokeAccess {
  constructor(
    private readonly access: ProcessAccess,
    private readonly roleChanges: RoleChanges,
  ) {}

  async revoke(caller: Caller, processId: string, principalId: string): Promise<void> {
    const leaving = principalId === caller.id;
    const action = leaving ? "read" : "share";
    const first = await this.access.loadAuthorized(caller, processId, action);
    if (principalId === first.process.ownerId) {
      throw new BadRequestError(
        leaving ? "owner_cannot_leave" : "cannot_share_with_owner",
        leaving
          ? "The owner cannot leave their own process; delete it instead."
          : "The owner's role cannot be revoked.",
      );
    }
    await this.roleChanges.apply({
      caller,
      processId,
      action,
      first,
      planFor: (current) => [
        {
          index: 0,
          principalId,
          from: holderRole(current, principalId),
          to: null,
          status: "updated",
          operation: leaving ? "left" : "revoked",
        },
      ],
      sendInvitation: false,
    });
  }
}
