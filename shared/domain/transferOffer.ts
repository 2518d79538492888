import { BadRequestError, ConcurrencyError, ConflictError, ForbiddenError } from "../errors.js";
import type { Authorized, ProcessAccess } from "./authorization.js";
import { holdingOf } from "./expiry.js";
import { newId } from "./ids.js";
import type {
  Action,
  AuditEntry,
  Caller,
  InvitationRecord,
  OwnershipOffer,
  ProcessRowChange,
  StoredProcess,
} from "./model.js";
import { isPendingOwner } from "./permissions.js";
import type { PlannedChange } from "./rolePlan.js";
import { auditEntry, backoff, conflictOr, maxAttempts, type SharingPorts } from "./sharingCore.js";

export interface OfferRequest {
  readonly principalId: string;
  readonly sendInvitation: boolean;
  readonly message?: string;
}

/** The offer as the API shows it (the email's id stays inside). */
export interface OfferView {
  readonly principalId: string;
  readonly offeredAt: string;
  readonly offeredBy: string;
}

interface OfferDecision {
  readonly offer: OwnershipOffer | null;
  readonly audit: AuditEntry;
  readonly invitation?: Omit<InvitationRecord, "etag">;
}

/**
 * The owner's offer of a process to one of its holders (issue 14): made (a new offer replaces the
 * one waiting), withdrawn by the owner, or declined by the person offered. Each is one write of the
 * process row, conditional on its ETag, with its audit entry (and the offer's email) in the same
 * transaction; a lost race reads again and decides again, authorization included. No list row
 * changes until the offer is accepted (transferOwnership.ts).
 */
export class OwnershipOffers {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
  ) {}

  async offer(caller: Caller, processId: string, request: OfferRequest): Promise<OfferView> {
    const decided = await this.commit(caller, processId, "transferOwnership", ({ process }, at) => {
      const target = request.principalId;
      if (target === process.ownerId)
        throw new BadRequestError("cannot_transfer_to_owner", "That person already owns the process.");
      // An expired role is no role: its holder is no longer one to offer the process to.
      if (holdingOf(process, target, this.ports.clock.now()).state !== "holder")
        throw new BadRequestError(
          "not_a_holder",
          "Ownership can be offered only to someone who holds a role on the process.",
        );
      const invitationId = request.sendInvitation ? newId() : "";
      const invitation: Omit<InvitationRecord, "etag"> | undefined = request.sendInvitation
        ? {
            id: invitationId,
            processId,
            principalId: target,
            // The one invitation of the owner's role: the sender knows an offer by it.
            role: "owner",
            sharerId: caller.id,
            sharerName: caller.name,
            message: request.message ?? "",
            status: "pending",
            createdAt: at,
          }
        : undefined;
      return {
        offer: { principalId: target, offeredAt: at, offeredBy: caller.id, invitationId },
        audit: offerAudit(process, caller, "ownershipOffered", at, target),
        ...(invitation !== undefined && { invitation }),
      };
    });
    const { principalId, offeredAt, offeredBy } = decided.offer as OwnershipOffer;
    return { principalId, offeredAt, offeredBy };
  }

  async withdraw(caller: Caller, processId: string): Promise<void> {
    await this.commit(caller, processId, "transferOwnership", ({ process }, at) => {
      const offer = process.pendingOwner;
      if (offer === undefined) throw noOffer();
      return { offer: null, audit: offerAudit(process, caller, "ownershipWithdrawn", at, offer.principalId) };
    });
  }

  async decline(caller: Caller, processId: string): Promise<void> {
    await this.commit(caller, processId, "read", (authorized, at) => {
      requireOfferTo(authorized, caller);
      return {
        offer: null,
        audit: offerAudit(authorized.process, caller, "ownershipDeclined", at, caller.id),
      };
    });
  }

  private async commit(
    caller: Caller,
    processId: string,
    action: Action,
    decide: (authorized: Authorized, at: string) => OfferDecision,
  ): Promise<OfferDecision> {
    try {
      for (let attempt = 1; ; attempt++) {
        const authorized = await this.access.loadAuthorized(caller, processId, action);
        const decision = decide(authorized, this.ports.clock.now().toISOString());
        const { invitation } = decision;
        if (invitation !== undefined) {
          await this.ports.pendingInvitations?.record([
            { processId, invitationId: invitation.id, createdAt: invitation.createdAt },
          ]);
        }
        try {
          await this.ports.processes.commitOwnershipOffer(
            authorized.process,
            decision.offer,
            decision.audit,
            invitation,
          );
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
          await backoff(attempt);
          continue;
        }
        if (invitation !== undefined) await this.handOver(invitation);
        return decision;
      }
    } catch (error) {
      throw conflictOr(error);
    }
  }

  /** Puts the offer's email on the queue; one that fails here is picked up by the sweeper. */
  private async handOver(invitation: Omit<InvitationRecord, "etag">): Promise<void> {
    try {
      await this.ports.invitations.enqueue({ processId: invitation.processId, invitationId: invitation.id });
    } catch (error) {
      this.ports.warn?.("Offer email not handed over; the sweeper will retry it.", {
        processId: invitation.processId,
        invitationId: invitation.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** The caller may answer the offer only while it names them and they hold a role (the table's `acceptOwnership`). */
export function requireOfferTo(authorized: Authorized, caller: Caller): OwnershipOffer {
  const offer = authorized.process.pendingOwner;
  if (offer === undefined) throw noOffer();
  if (!isPendingOwner(authorized.process, caller.id))
    throw new ForbiddenError("forbidden", "Only the person offered ownership can answer the offer.");
  // Named but holding no role in force: theirs expired (a revoke would have voided the offer). An
  // administrator still reads the process, so this is where they learn it.
  if (!authorized.actions.includes("acceptOwnership"))
    throw new ForbiddenError(
      "access_revoked",
      "Your role on this process has ended; the offer needs a current one.",
    );
  return offer;
}

export function noOffer(): ConflictError {
  return new ConflictError("no_ownership_offer", "No ownership offer is waiting on this process.");
}

/**
 * An offer stands only while the person it names holds a role: a revoke or a leave of that person
 * clears it in the same commit (RoleChanges asks this of every role write).
 */
export function offerVoided(process: StoredProcess, changes: readonly PlannedChange[]): ProcessRowChange {
  const offer = process.pendingOwner;
  if (offer === undefined) return {};
  return changes.some((change) => change.principalId === offer.principalId && change.to === null)
    ? { pendingOwner: null }
    : {};
}

function offerAudit(
  process: StoredProcess,
  caller: Caller,
  operation: "ownershipOffered" | "ownershipWithdrawn" | "ownershipDeclined",
  at: string,
  principalId: string,
): AuditEntry {
  return auditEntry(process.id, caller, operation, at, { principalId, from: undefined, to: null });
}
