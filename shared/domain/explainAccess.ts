import { ForbiddenError, NotFoundError } from "../errors.js";
import { holdingOf } from "./expiry.js";
import type { Action, Caller, EnvironmentRights, OwnershipOffer, ProcessKind, Role } from "./model.js";
import {
  actionsOfKind,
  allowedActions,
  type Denial,
  denialOf,
  environmentRights,
  type Grant,
  grantsOf,
  isPendingOwner,
} from "./permissions.js";
import { rightsOf, type SharingPorts } from "./sharingCore.js";

export type ExplainedAction =
  | { readonly action: Action; readonly granted: true; readonly grants: readonly ExplainedGrant[] }
  | { readonly action: Action; readonly granted: false; readonly denial: Denial };

/** A grant as explained: the role's expiry, the app role's name, the offer's time and maker. */
export type ExplainedGrant = Grant & {
  readonly expiresAt?: string;
  readonly appRole?: string;
  readonly offeredAt?: string;
  readonly offeredBy?: string;
};

export interface Explanation {
  readonly processId: string;
  readonly kind: ProcessKind;
  readonly principalId: string;
  readonly membership: {
    readonly state: "owner" | "holder" | "expired" | "revoked" | "none";
    /** The role in force now (null when none is). */
    readonly role: Role | null;
    /** The stored role, also once it has expired. */
    readonly storedRole?: Role;
    readonly expiresAt?: string;
  };
  /** Environment rights: the caller's from their token, anyone else's from the directory. */
  readonly environment: EnvironmentRights & { readonly source: "token" | "directory" };
  readonly actions: readonly ExplainedAction[];
}

/**
 * Why a person has (or lacks) each action of the permission table on a process: derived from
 * `grantsOf`, the same derivation every check uses, at the service clock's now. Callers with
 * `viewAccess` may ask about anyone; anyone may ask about themselves while the process is theirs
 * to know (held, revoked or expired: it is in their list).
 */
export class ExplainAccess {
  constructor(private readonly ports: SharingPorts) {}

  async explain(caller: Caller, processId: string, principalId: string): Promise<Explanation> {
    const process = await this.ports.processes.read(processId);
    if (process === undefined || process.deleting === true) throw new NotFoundError();
    const now = this.ports.clock.now();
    const callerRights = rightsOf(this.ports, caller);
    const own = holdingOf(process, caller.id, now);
    const callerActions = allowedActions(process.kind, own.role, callerRights, {
      pendingOwner: isPendingOwner(process, caller.id),
    });
    const self = principalId === caller.id;
    if (!self && !callerActions.includes("viewAccess")) {
      // The conventions of loadAuthorized: unknown is 404, known but lacking the right is 403.
      if (own.state === "revoked" || own.state === "expired")
        throw new ForbiddenError("access_revoked", "Your access to this process has ended.");
      if (callerActions.length > 0)
        throw new ForbiddenError("forbidden", "Only owners and co-owners can see who has access.");
      throw new NotFoundError();
    }
    if (self && callerActions.length === 0 && own.state === "none") throw new NotFoundError();

    const environment = self
      ? { ...callerRights, source: "token" as const }
      : { ...(await this.directoryRights(principalId)), source: "directory" as const };
    const holding = self ? own : holdingOf(process, principalId, now);
    const grants = grantsOf(process.kind, holding.role, environment, {
      pendingOwner: isPendingOwner(process, principalId),
    });
    const explained = actionsOfKind(process.kind).map((action): ExplainedAction => {
      const from = grants.get(action);
      if (from === undefined)
        return {
          action,
          granted: false,
          denial: denialOf(process.kind, holding.state, holding.storedRole ?? null, action),
        };
      return {
        action,
        granted: true,
        grants: from.map((grant) => this.detail(grant, holding.expiresAt, process.pendingOwner)),
      };
    });
    return {
      processId: process.id,
      kind: process.kind,
      principalId,
      membership: {
        state: holding.state,
        role: holding.role,
        ...(holding.storedRole !== undefined && { storedRole: holding.storedRole }),
        ...(holding.expiresAt !== undefined && { expiresAt: holding.expiresAt }),
      },
      environment,
      actions: explained,
    };
  }

  private async directoryRights(principalId: string): Promise<EnvironmentRights> {
    const user = (await this.ports.directory.getUsers([principalId])).get(principalId);
    return environmentRights({ appRoles: user?.appRoles ?? [] }, this.ports.appRoles);
  }

  private detail(grant: Grant, expiresAt: string | undefined, offer?: OwnershipOffer): ExplainedGrant {
    switch (grant.source) {
      case "owner":
        return grant;
      case "pendingOwner":
        // Why acceptOwnership: the offer that names them, and who made it when.
        return offer === undefined
          ? grant
          : { ...grant, offeredAt: offer.offeredAt, offeredBy: offer.offeredBy };
      case "role":
        return expiresAt === undefined ? grant : { ...grant, expiresAt };
      case "administrator":
        return { ...grant, appRole: this.ports.appRoles.adminRole };
      case "sharePrivilege":
        return { ...grant, appRole: this.ports.appRoles.shareRole };
    }
  }
}
