import { setTimeout as sleep } from "node:timers/promises";

import { renderInvitationEmail } from "../email/invitationEmail.js";
import {
  invitationOperationId,
  MailRepeatExpiredError,
  type MailSender,
  MailServiceRefusedError,
  MailServiceUnavailableError,
  type SendOutcome,
} from "../email/mailSender.js";
import { ConcurrencyError } from "../errors.js";
import type { Clock, Directory, InvitationMessage } from "../ports.js";
import type { ProcessStore } from "../storage/processStore.js";
import {
  failureReason,
  floodCheck,
  type FloodReason,
  pendingOf,
  staleReason,
  truncate,
} from "./deliveryRules.js";
import {
  finalStates,
  type InvitationEntry,
  type InvitationLedger,
  type RoleInvitation,
  type Settlement,
} from "./invitationLedger.js";
import { offerStaleReason } from "./ownershipOffer.js";
import type { PendingInvitationIndex } from "./pendingInvitations.js";
import type { SharerQuota } from "./sharerQuota.js";

/**
 * The invitation sender: one queue message in, at most one email out. The ledger records the
 * operation id before the send; a delivery that finds it already recorded asks the mail service
 * what became of that operation before sending, and the operation id itself is deterministic, so
 * a redelivery (also a concurrent one, also one after the service accepted but before the status
 * was written) never delivers a second email. Sends are repeatable requests (see mailSender.ts)
 * whose first-sent time is the one the claim recorded.
 *
 * Floods (SPEC "Invitations"): whatever path made the invitation (a share, a role change, a
 * revoke and re-grant, a re-send), it is sent only if the person was not mailed about this process
 * within the cooldown and its sharer is within their hourly quota. Otherwise the role stands and
 * the invitation settles `failed` with the reason `cooldown` or `sharerQuota`, and no email goes.
 * Both checks are conditional writes (the claim's `mailed` row, the quota row), so two deliveries
 * at once cannot both pass them.
 */

export interface InvitationSenderOptions {
  readonly store: ProcessStore;
  readonly ledger: InvitationLedger;
  readonly pending: PendingInvitationIndex;
  readonly directory: Directory;
  readonly mail: MailSender;
  readonly clock: Clock;
  readonly appBaseUrl: string;
  /** Least time between two invitation emails to one person about one process. */
  readonly cooldownSeconds: number;
  readonly quota: SharerQuota;
  /** Waits between status checks of an operation another delivery has in flight. */
  readonly runningPollMs?: number;
}

/** Which delivery of the queue message this is, as the host counts them. */
export interface Delivery {
  readonly dequeueCount: number;
  readonly maxDequeueCount: number;
}

export type DeliveryOutcome =
  | { readonly outcome: "sent"; readonly operationId: string; readonly resent: boolean }
  | { readonly outcome: "failed"; readonly reason: string }
  | { readonly outcome: "cancelled"; readonly reason: string }
  /** Not sent, on purpose: the person was mailed recently, or the sharer's hour is full. */
  | { readonly outcome: "notSent"; readonly reason: FloodReason }
  /** Settled by an earlier delivery, or gone with its process: nothing to do. */
  | { readonly outcome: "alreadySettled" | "notFound" };

/** Reads again after a lost race this many times before giving the message back to the queue. */
const maxRounds = 8;
const runningChecks = 5;

export class InvitationSender {
  constructor(private readonly options: InvitationSenderOptions) {}

  /**
   * Delivers one invitation. Throws when the queue should retry (the mail service unavailable,
   * storage errors); on the last delivery it marks the invitation `failed` first, with the reason.
   */
  async deliver(message: InvitationMessage, delivery: Delivery): Promise<DeliveryOutcome> {
    try {
      return await this.deliverOnce(message);
    } catch (error) {
      if (delivery.dequeueCount >= delivery.maxDequeueCount) {
        await this.giveUp(message, failureReason(error, delivery.dequeueCount));
      }
      throw error;
    }
  }

  private async deliverOnce({ processId, invitationId }: InvitationMessage): Promise<DeliveryOutcome> {
    const { ledger } = this.options;
    for (let round = 1; ; round++) {
      const invitation = await ledger.get(processId, invitationId);
      if (invitation === undefined) return { outcome: "notFound" };
      if (finalStates.has(invitation.status)) {
        await this.options.pending.clear(pendingOf(invitation));
        return { outcome: "alreadySettled" };
      }
      try {
        return await this.advance(invitation);
      } catch (error) {
        // Another delivery, a re-send or a revoke moved a row since it was read: read again.
        if (!(error instanceof ConcurrencyError) || round >= maxRounds) throw error;
      }
    }
  }

  /** One step from a pending or sending invitation, conditional on what was read. */
  private async advance(invitation: InvitationEntry): Promise<DeliveryOutcome> {
    const { ledger } = this.options;
    const [process, role, mailed] = await Promise.all([
      this.options.store.getProcess(invitation.processId),
      ledger.getRole(invitation.processId, invitation.principalId),
      invitation.status === "pending"
        ? ledger.getMailed(invitation.processId, invitation.principalId)
        : Promise.resolve(undefined),
    ]);
    if (process === undefined) return { outcome: "notFound" };

    const operationId = invitation.operationId ?? invitationOperationId(invitation.id);
    if (invitation.status === "sending") {
      // An earlier delivery recorded the send: ask what became of it before sending anything.
      const earlier = await this.lookup(operationId);
      if (earlier !== "unknown") return await this.settle(invitation, role, earlier, false);
    }

    const stale =
      invitation.role === "owner" ? offerStaleReason(invitation, process) : staleReason(invitation, role);
    if (stale !== undefined) {
      await ledger.cancel(invitation, stale);
      await this.options.pending.clear(pendingOf(invitation));
      return { outcome: "cancelled", reason: stale };
    }

    let claimed: InvitationEntry;
    if (invitation.status === "sending") claimed = invitation;
    else {
      const refused = await floodCheck(invitation, mailed, this.options);
      if (refused !== undefined) {
        // One conditional write: a lost race (another delivery claimed it meanwhile) reads again.
        await ledger.settle(invitation, role, { status: "failed", at: this.now(), reason: refused });
        await this.options.pending.clear(pendingOf(invitation));
        return { outcome: "notSent", reason: refused };
      }
      claimed = await ledger.claim(invitation, operationId, this.now(), mailed);
    }
    const recipient = (await this.options.directory.getUsers([invitation.principalId])).get(
      invitation.principalId,
    );
    if (recipient?.accountEnabled !== true) {
      const reason =
        recipient === undefined
          ? "The recipient is no longer in the directory."
          : "The recipient's account is disabled.";
      return await this.settle(claimed, role, { status: "failed", operationId, reason }, false);
    }
    const email = renderInvitationEmail(
      {
        process: { id: process.id, name: process.name, kind: process.kind },
        role: invitation.role,
        sharerName: invitation.sharerName,
        recipientName: recipient.displayName,
        ...(invitation.message !== "" && { message: invitation.message }),
      },
      this.options.appBaseUrl,
    );
    const outgoing = {
      to: { address: recipient.email, displayName: recipient.displayName },
      subject: email.subject,
      plainText: email.plainText,
      html: email.html,
    };
    let outcome: SendOutcome;
    try {
      outcome = await this.sendRepeatable(claimed, outgoing, operationId);
    } catch (error) {
      // The service refused the request itself: the same request will never pass.
      if (!(error instanceof MailServiceRefusedError)) throw error;
      outcome = { status: "failed", operationId, reason: truncate(error.message) };
    }
    return await this.settle(claimed, role, outcome, invitation.status === "sending");
  }

  /**
   * Sends with the first-sent time the claim recorded. When the service says the repeat window is
   * over (412), it is asked what became of the operation: only one it does not know is sent again,
   * with a new first-sent time recorded first.
   */
  private async sendRepeatable(
    claimed: InvitationEntry,
    mail: Parameters<MailSender["send"]>[0],
    operationId: string,
  ): Promise<SendOutcome> {
    const firstSentAt = new Date(claimed.sendingAt ?? claimed.createdAt);
    try {
      return await this.options.mail.send(mail, operationId, firstSentAt);
    } catch (error) {
      if (!(error instanceof MailRepeatExpiredError)) throw error;
      const earlier = await this.lookup(operationId);
      if (earlier !== "unknown") return earlier;
      const restamped = await this.options.ledger.restamp(claimed, this.now());
      return await this.options.mail.send(mail, operationId, new Date(restamped.sendingAt ?? this.now()));
    }
  }

  /** The outcome of an earlier send, waiting a little while the service still runs it. */
  private async lookup(operationId: string): Promise<SendOutcome | "unknown"> {
    for (let check = 1; ; check++) {
      const earlier = await this.options.mail.lookup(operationId);
      if (earlier !== "running") return earlier;
      if (check >= runningChecks) {
        throw new MailServiceUnavailableError(`The mail operation ${operationId} is still running.`);
      }
      await sleep(this.options.runningPollMs ?? 1000);
    }
  }

  /** Writes the outcome: the mail is out (or refused) whatever happens next, so a lost race reads again. */
  private async settle(
    invitation: InvitationEntry,
    role: RoleInvitation | undefined,
    outcome: SendOutcome,
    resent: boolean,
  ): Promise<DeliveryOutcome> {
    const settlement: Settlement =
      outcome.status === "sent"
        ? { status: "sent", at: this.now() }
        : { status: "failed", at: this.now(), reason: truncate(outcome.reason) };
    let current = invitation;
    let currentRole = role;
    for (let round = 1; ; round++) {
      try {
        await this.options.ledger.settle(current, currentRole, settlement);
        break;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || round >= maxRounds) throw error;
        const [again, roleAgain] = await Promise.all([
          this.options.ledger.get(invitation.processId, invitation.id),
          this.options.ledger.getRole(invitation.processId, invitation.principalId),
        ]);
        if (again === undefined) return { outcome: "notFound" };
        if (finalStates.has(again.status)) break;
        current = again;
        currentRole = roleAgain;
      }
    }
    await this.options.pending.clear(pendingOf(invitation));
    return settlement.status === "sent"
      ? { outcome: "sent", operationId: outcome.operationId, resent }
      : { outcome: "failed", reason: settlement.reason };
  }

  /** The last delivery failed: the invitation is `failed`, with the reason, unless it settled meanwhile. */
  async giveUp({ processId, invitationId }: InvitationMessage, reason: string): Promise<void> {
    const { ledger } = this.options;
    for (let round = 1; round <= maxRounds; round++) {
      const invitation = await ledger.get(processId, invitationId);
      if (invitation === undefined || finalStates.has(invitation.status)) return;
      const role = await ledger.getRole(processId, invitation.principalId);
      // The mail may have gone out before the failure (a status write that failed): never call that failed.
      const earlier =
        invitation.operationId === undefined
          ? "unknown"
          : await this.options.mail.lookup(invitation.operationId).catch(() => "unknown" as const);
      const settlement: Settlement =
        earlier !== "unknown" && earlier !== "running" && earlier.status === "sent"
          ? { status: "sent", at: this.now() }
          : { status: "failed", at: this.now(), reason: truncate(reason) };
      try {
        await ledger.settle(invitation, role, settlement);
        await this.options.pending.clear(pendingOf(invitation));
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
      }
    }
  }

  private now(): string {
    return this.options.clock.now().toISOString();
  }
}
