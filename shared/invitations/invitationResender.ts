import type { ProcessAccess as ProcessService } from "../domain/authorization.js";
import { newId } from "../domain/ids.js";
import type { Caller, InvitationStatus } from "../domain/model.js";
import {
  BadRequestError,
  ConcurrencyError,
  ConflictError,
  NotFoundError,
  TooManyRequestsError,
} from "../errors.js";
import type { Clock, InvitationQueue } from "../ports.js";
import type { InvitationLedger } from "./invitationLedger.js";
import type { PendingInvitationIndex } from "./pendingInvitations.js";

/**
 * Re-sending an invitation: a new invitation (a new id, so a new mail operation) for the role a
 * holder has now, at most once per cooldown per invitation. The earlier one, if still in flight,
 * is cancelled by the sender, since the role row no longer answers for it.
 */

export interface ResenderOptions {
  readonly processes: ProcessService;
  readonly ledger: InvitationLedger;
  readonly pending: PendingInvitationIndex;
  readonly queue: InvitationQueue;
  readonly clock: Clock;
  readonly cooldownSeconds: number;
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

export interface ResendResult {
  readonly principalId: string;
  readonly invitation: { readonly id: string; readonly status: InvitationStatus };
}

const maxAttempts = 5;

export class InvitationResender {
  constructor(private readonly options: ResenderOptions) {}

  async resend(caller: Caller, processId: string, principalId: string): Promise<ResendResult> {
    const { process } = await this.options.processes.authorize(caller, processId, "share");
    if (principalId === process.ownerId)
      throw new BadRequestError("cannot_share_with_owner", "The owner is not invited to their own process.");
    if (principalId === caller.id)
      throw new BadRequestError("cannot_share_with_self", "You cannot invite yourself.");
    const { ledger } = this.options;

    for (let attempt = 1; ; attempt++) {
      const role = await ledger.getRole(processId, principalId);
      if (role === undefined) throw new NotFoundError("That user holds no role on this process.");
      const [previous, mailed] = await Promise.all([
        role.invitationId === "" ? undefined : ledger.get(processId, role.invitationId),
        ledger.getMailed(processId, principalId),
      ]);
      const now = this.options.clock.now();
      // The cooldown counts from the last re-send and from the last email to this person by any path.
      const last = Math.max(
        previous === undefined ? 0 : Date.parse(previous.createdAt),
        mailed === undefined ? 0 : Date.parse(mailed.at),
      );
      if (last > 0) {
        const waitMs = last + this.options.cooldownSeconds * 1000 - now.getTime();
        if (waitMs > 0) {
          throw new TooManyRequestsError(
            `This invitation was sent recently; it can be sent again in ${Math.ceil(waitMs / 1000)} seconds.`,
            waitMs / 1000,
          );
        }
      }
      const createdAt = now.toISOString();
      const invitation = {
        id: newId(),
        processId,
        principalId,
        role: role.role,
        sharerId: caller.id,
        sharerName: caller.name,
        // The personal message is the sharer's own words: it goes again only when they send it again.
        message: previous?.sharerId === caller.id ? previous.message : "",
        status: "pending" as const,
        createdAt,
      };
      await this.options.pending.record([{ processId, invitationId: invitation.id, createdAt }]);
      try {
        await ledger.replace(role, invitation);
      } catch (error) {
        // A concurrent re-send or role change won: read again (the cooldown now answers a re-send).
        if (!(error instanceof ConcurrencyError)) throw error;
        if (attempt >= maxAttempts)
          throw new ConflictError("conflict", "The role is being changed by someone else; try again.");
        continue;
      }
      await this.handOver(processId, invitation.id);
      return { principalId, invitation: { id: invitation.id, status: "pending" } };
    }
  }

  private async handOver(processId: string, invitationId: string): Promise<void> {
    try {
      await this.options.queue.enqueue({ processId, invitationId });
    } catch (error) {
      this.options.warn?.("Invitation not handed over; the sweeper will retry it.", {
        processId,
        invitationId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
