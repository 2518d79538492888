import { BadRequestError, NotFoundError } from "../errors.js";
import { type Clock, systemClock } from "../ports.js";
import type { ProcessAccess } from "./authorization.js";
import { checkExpiry, holdingOf, planExpiring } from "./expiry.js";
import type { Caller, GrantableRole, Role, StoredProcess } from "./model.js";
import { isRoleOfKind } from "./permissions.js";
import type { RoleChanges } from "./roleChanges.js";
import { roleNotAllowed, type ShareResult } from "./shareProcess.js";

/** Changes the role of a current holder, through the one role write path. */
export class ChangeRole {
  constructor(
    private readonly access: ProcessAccess,
    private readonly roleChanges: RoleChanges,
    private readonly clock: Clock = systemClock,
  ) {}

  async change(
    caller: Caller,
    processId: string,
    principalId: string,
    /** `expiresAt`: a date sets it, null removes it, absent keeps the holder's current one. */
    request: { role: GrantableRole; sendInvitation: boolean; message?: string; expiresAt?: string | null },
  ): Promise<ShareResult> {
    const first = await this.access.loadAuthorized(caller, processId, "share");
    if (!isRoleOfKind(first.process.kind, request.role))
      throw roleNotAllowed(first.process.kind, request.role);
    if (principalId === first.process.ownerId)
      throw new BadRequestError("cannot_share_with_owner", "The owner's role cannot be changed.");
    if (principalId === caller.id)
      throw new BadRequestError("cannot_share_with_self", "You cannot change your own role.");
    const expiresAt = checkExpiry(request.expiresAt, this.clock.now());
    const [change] = await this.roleChanges.apply({
      caller,
      processId,
      action: "share",
      first,
      planFor: (current) => {
        const now = this.clock.now();
        // An expired role is no role to change: the holder is granted again by a share.
        if (holdingOf(current, principalId, now).state === "expired")
          throw new NotFoundError("That user's role on this process has expired.");
        holderRole(current, principalId);
        return [planExpiring(0, principalId, current, request.role, expiresAt, now, "keep")];
      },
      sendInvitation: request.sendInvitation,
      ...(request.message !== undefined && { message: request.message }),
    });
    return { recipient: { id: principalId }, principalId, status: change?.status ?? "unchanged" };
  }
}

/** The role a user holds now; a user without one is not there to change or revoke. */
export function holderRole(process: StoredProcess, principalId: string): Role {
  const state = process.members[principalId];
  if (state === undefined || state === "revoked")
    throw new NotFoundError("That user holds no role on this process.");
  return state;
}
