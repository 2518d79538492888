import { BadRequestError, ConcurrencyError, NotFoundError } from "../errors.js";
import type { Authorized, ProcessAccess } from "./authorization.js";
import { recordExpiries } from "./expirySweep.js";
import { newId } from "./ids.js";
import type { ListRepairer } from "./listRepair.js";
import type {
  Action,
  Caller,
  InvitationRecord,
  ProcessListEntry,
  ProcessRowChange,
  RoleWrite,
  StoredProcess,
} from "./model.js";
import { membersAfter, type PlannedChange } from "./rolePlan.js";
import {
  auditEntry,
  backoff,
  conflictOr,
  fanOutConcurrency,
  forEachLimited,
  maxAttempts,
  type SharingPorts,
} from "./sharingCore.js";
import { offerVoided } from "./transferOffer.js";

export interface RoleChangeRequest {
  readonly caller: Caller;
  readonly processId: string;
  /** The right the caller needs, checked on the row of every attempt. */
  readonly action: Action;
  /** The authorization already read for the first attempt, when there is one. */
  readonly first?: Authorized;
  readonly planFor: (process: StoredProcess) => PlannedChange[];
  readonly sendInvitation: boolean;
  readonly message?: string;
  /**
   * The expiry sweep acts for the system, not for a caller: each attempt reads the row without
   * authorizing (the plan itself re-checks that the role has still expired on the row it commits on).
   */
  readonly asSystem?: boolean;
  /** What the commit also changes on the process row (an ownership transfer); planned from the same row. */
  readonly processRow?: (process: StoredProcess) => ProcessRowChange;
}

/**
 * The one write path for roles. Each attempt authorizes the caller on the process row it reads,
 * plans from its members map, records the list rows it is about to write ahead (so that the
 * repair sweep finds them after a crash), writes them, then commits the members map, role rows,
 * audit entries and invitations in one transaction conditional on that row's ETag. A lost race
 * goes round again, authorization included. A write that fails puts back what it wrote ahead.
 */
export class RoleChanges {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
    private readonly repair: ListRepairer,
  ) {}

  async apply(request: RoleChangeRequest): Promise<PlannedChange[]> {
    /** The rows this request wrote ahead, by user: what a failure or a changed plan puts back. */
    const touched = new Map<string, ProcessListEntry>();
    try {
      for (let attempt = 1; ; attempt++) {
        const { process } =
          attempt === 1 && request.first !== undefined
            ? request.first
            : request.asSystem === true
              ? { process: await this.readForSystem(request.processId) }
              : await this.access.loadAuthorized(request.caller, request.processId, request.action);
        const planned = request.planFor(process);
        const changes = planned.filter((change) => change.status !== "unchanged");
        if (changes.length === 0) {
          await this.putBack(request.processId, touched, planned);
          return planned;
        }
        const rowChange = { ...offerVoided(process, changes), ...request.processRow?.(process) };
        // The owner changes only with a transfer: a change planned before one committed must not touch the new owner.
        if (rowChange.ownerId === undefined && changes.some((c) => c.principalId === process.ownerId))
          throw new BadRequestError("cannot_share_with_owner", "The owner's role cannot be changed.");
        const members = membersAfter(process, changes);
        const at = this.ports.clock.now().toISOString();
        const writes = changes.map((change) => this.writeFor(request, process, change, at));

        const fresh = changes.map((change) => change.principalId).filter((id) => !touched.has(id));
        if (fresh.length > 0) await this.repair.recordAhead({ processId: process.id, userIds: fresh, at });
        // Recorded ahead too: a role that commits with an expiry is always in the sweep's index.
        await recordExpiries(this.ports, process.id, changes);
        await forEachLimited(changes, fanOutConcurrency, async (change) => {
          const row = {
            processId: process.id,
            kind: process.kind,
            name: process.name,
            role: change.to,
            accessRevoked: change.to === null,
            addedAt: at,
            ...(change.to !== null && change.expiresAt !== undefined && { expiresAt: change.expiresAt }),
          };
          touched.set(change.principalId, row);
          await this.ports.lists.put(change.principalId, row);
        });
        const invitations = writes.flatMap((write) =>
          write.invitation === undefined ? [] : [write.invitation],
        );
        if (invitations.length > 0) {
          await this.ports.pendingInvitations?.record(
            invitations.map(({ processId, id, createdAt }) => ({ processId, invitationId: id, createdAt })),
          );
        }
        try {
          await this.ports.processes.commitRoleChanges(process, members, writes, rowChange);
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
          await backoff(attempt);
          continue;
        }
        await this.handOver(writes);
        await this.putBack(request.processId, touched, changes);
        return planned;
      }
    } catch (error) {
      await this.putBack(request.processId, touched, []);
      throw conflictOr(error);
    }
  }

  /** Rows written ahead for users the final commit did not change go back to what the process says. */
  private async putBack(
    processId: string,
    touched: ReadonlyMap<string, ProcessListEntry>,
    kept: readonly PlannedChange[],
  ): Promise<void> {
    const committed = new Set(
      kept.filter((change) => change.status !== "unchanged").map((c) => c.principalId),
    );
    const stray = [...touched.keys()].filter((id) => !committed.has(id));
    if (stray.length === 0) return;
    try {
      await this.repair.reconcile(processId, stray, { onlyIfStill: touched });
    } catch (error) {
      // Left for the repair sweep, which has the record of these rows.
      this.ports.warn?.("Rows written ahead not put back; the repair sweep will.", {
        processId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private writeFor(
    request: RoleChangeRequest,
    process: StoredProcess,
    change: PlannedChange,
    at: string,
  ): RoleWrite {
    const invitation: Omit<InvitationRecord, "etag"> | undefined =
      change.to !== null && request.sendInvitation
        ? {
            id: newId(),
            processId: process.id,
            principalId: change.principalId,
            role: change.to,
            sharerId: request.caller.id,
            sharerName: request.caller.name,
            message: request.message ?? "",
            status: "pending",
            createdAt: at,
          }
        : undefined;
    const expiry =
      change.to !== null && change.expiresAt !== undefined ? { expiresAt: change.expiresAt } : {};
    return {
      principalId: change.principalId,
      role: change.to,
      grantedBy: request.caller.id,
      grantedAt: at,
      audit: { ...auditEntry(process.id, request.caller, change.operation, at, change), ...expiry },
      ...(invitation !== undefined && { invitation }),
      ...expiry,
    };
  }

  private async readForSystem(processId: string): Promise<StoredProcess> {
    const process = await this.ports.processes.read(processId);
    if (process === undefined || process.deleting === true) throw new NotFoundError();
    return process;
  }

  /** Puts each new invitation on the queue; one that fails here is picked up by the sweeper. */
  private async handOver(writes: readonly RoleWrite[]): Promise<void> {
    await Promise.all(
      writes.map(async ({ invitation }) => {
        if (invitation === undefined) return;
        try {
          await this.ports.invitations.enqueue({
            processId: invitation.processId,
            invitationId: invitation.id,
          });
        } catch (error) {
          this.ports.warn?.("Invitation not handed over; the sweeper will retry it.", {
            processId: invitation.processId,
            invitationId: invitation.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  }
}
