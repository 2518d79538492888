import type { ExpiringRole } from "../ports.js";
import { holdingOf } from "./expiry.js";
import type { Caller } from "./model.js";
import type { RoleChanges } from "./roleChanges.js";
import type { PlannedChange } from "./rolePlan.js";
import { type SharingPorts } from "./sharingCore.js";

/** The audit's actor id for what the service does by itself: the nil GUID, never an Entra object id. */
export const systemActorId = "00000000-0000-0000-0000-000000000000";

/** The audit's actor for what the service does by itself. */
export const systemCaller: Caller = {
  id: systemActorId,
  tenantId: "",
  name: "System",
  username: "system",
  appRoles: [],
};

/** Records the changes that commit an expiry in the sweep's index (ahead of the commit: an extra record is harmless). */
export async function recordExpiries(
  ports: SharingPorts,
  processId: string,
  changes: readonly PlannedChange[],
): Promise<void> {
  const roles = changes.flatMap((change) => {
    if (change.to === null || change.expiresAt === undefined) return [];
    const role = { processId, principalId: change.principalId, expiresAt: change.expiresAt };
    return change.noticeAt === undefined ? [role] : [role, { ...role, notice: true, dueAt: change.noticeAt }];
  });
  if (roles.length > 0) await ports.expiries?.record(roles);
}

export interface ExpirySweepResult {
  readonly expired: number;
  readonly settled: number;
  readonly failed: number;
}

/**
 * The expiry sweep: turns roles whose `expiresAt` has passed into revocations through the one
 * role write path, audited with the system as actor. Access has already ended at `expiresAt`
 * (every check compares with the clock); the sweep tidies the members map, the role row and the
 * holder's list row. The revocation is planned on the row it commits on, conditional on its ETag:
 * a holder whose role was renewed or changed in between is left as the change made it.
 */
export class ExpirySweep {
  constructor(
    private readonly ports: SharingPorts,
    private readonly roleChanges: RoleChanges,
    private readonly batch = 50,
  ) {}

  async sweep(): Promise<ExpirySweepResult> {
    const index = this.ports.expiries;
    if (index === undefined) return { expired: 0, settled: 0, failed: 0 };
    const due = await index.due(this.ports.clock.now(), this.batch);
    let expired = 0;
    let failed = 0;
    for (const role of due) {
      try {
        if (role.notice === true) await this.notify(role);
        else if (await this.expire(role)) expired++;
        await index.settle(role);
      } catch (error) {
        // Left in the index: the next run tries again.
        failed++;
        this.ports.warn?.("Expiry record not handled yet; the next sweep retries.", {
          processId: role.processId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return { expired, settled: due.length - failed, failed };
  }

  /** The notice goes out only while the holder still has that role with that expiry (not renewed, changed or revoked). */
  private async notify(role: ExpiringRole): Promise<void> {
    const process = await this.ports.processes.read(role.processId);
    if (process === undefined || process.deleting === true) return;
    const holding = holdingOf(process, role.principalId, this.ports.clock.now());
    if (holding.state !== "holder" || holding.expiresAt !== role.expiresAt) return;
    await this.ports.expiryNotices?.notify({
      processId: process.id,
      processName: process.name,
      principalId: role.principalId,
      expiresAt: role.expiresAt,
    });
  }

  private async expire(role: ExpiringRole): Promise<boolean> {
    const process = await this.ports.processes.read(role.processId);
    if (process === undefined || process.deleting === true) return false;
    if (holdingOf(process, role.principalId, this.ports.clock.now()).state !== "expired") return false;
    const planned = await this.roleChanges.apply({
      caller: systemCaller,
      processId: role.processId,
      action: "read",
      asSystem: true,
      first: {
        process,
        role: null,
        rights: { isAdministrator: false, hasSharePrivilege: false },
        actions: [],
      },
      planFor: (current) => {
        const holding = holdingOf(current, role.principalId, this.ports.clock.now());
        if (holding.state !== "expired") return [];
        return [
          {
            index: 0,
            principalId: role.principalId,
            from: holding.storedRole,
            to: null,
            status: "updated",
            operation: "expired",
          },
        ];
      },
      sendInvitation: false,
    });
    return planned.length > 0;
  }
}
