import { BadRequestError, NotFoundError } from "../errors.js";
import type { ProcessAccess } from "./authorization.js";
import type { Caller, GrantableRole, Role, StoredProcess } from "./model.js";
import { isRoleOfKind } from "./permissions.js";
import type { RoleChanges } from "./roleChanges.js";
import { plan } from "./rolePlan.js";
import { roleNotAllowed, type ShareResult } from "./shareProcess.js";

/** Changes the role of a current holder, through the one role write path. */
export class ChangeRole {
  constructor(
    private readonly access: ProcessAccess,
    private readonly roleChanges: RoleChanges,
  ) {}

  async change(
    caller: Caller,
    processId: string,
    principalId: string,
    request: { role: GrantableRole; sendInvitation: boolean; message?: string },
  ): Promise<ShareResult> {
    const first = await this.access.loadAuthorized(caller, processId, "share");
    if (!isRoleOfKind(first.process.kind, request.role))
      throw roleNotAllowed(first.process.kind, request.role);
    if (principalId === first.process.ownerId)
      throw new BadRequestError("cannot_share_with_owner", "The owner's role cannot be changed.");
    if (principalId === caller.id)
      throw new BadRequestError("cannot_share_with_self", "You cannot change your own role.");
    const [change] = await this.roleChanges.apply({
      caller,
      processId,
      action: "share",
      first,
      planFor: (current) => [plan(0, principalId, holderRole(current, principalId), request.role)],
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
