import { MailServiceUnavailableError } from "../email/mailSender.js";
import type { Clock, PendingInvitation } from "../ports.js";
import type { InvitationEntry, MailedEntry, RoleInvitation } from "./invitationLedger.js";
import type { SharerQuota } from "./sharerQuota.js";

/** The sender's rules that need no storage of their own: floods, staleness, failure reasons. */

/** Why an invitation was not sent although nothing failed: the access list's `failureReason`. */
export const floodReasons = { cooldown: "cooldown", sharerQuota: "sharerQuota" } as const;
export type FloodReason = (typeof floodReasons)[keyof typeof floodReasons];

const reasonLimit = 500;

/**
 * The cooldown per (process, person) and the sharer's hourly quota; undefined when the
 * invitation may go. The quota slot is taken here (idempotent per invitation); the cooldown is
 * taken by the claim's conditional write of the `mailed` row.
 */
export async function floodCheck(
  invitation: InvitationEntry,
  mailed: MailedEntry | undefined,
  options: { readonly clock: Clock; readonly cooldownSeconds: number; readonly quota: SharerQuota },
): Promise<FloodReason | undefined> {
  const now = options.clock.now();
  if (
    mailed !== undefined &&
    mailed.invitationId !== invitation.id &&
    Date.parse(mailed.at) + options.cooldownSeconds * 1000 > now.getTime()
  ) {
    return floodReasons.cooldown;
  }
  const quota = await options.quota.take(invitation.sharerId, invitation.id, now);
  return quota.taken ? undefined : floodReasons.sharerQuota;
}

export function pendingOf(invitation: InvitationEntry): PendingInvitation {
  return { processId: invitation.processId, invitationId: invitation.id, createdAt: invitation.createdAt };
}

/** Why an invitation no longer stands: its role was revoked, changed or re-sent since. */
export function staleReason(
  invitation: InvitationEntry,
  role: RoleInvitation | undefined,
): string | undefined {
  if (role === undefined) return "The role was revoked before the invitation was sent.";
  if (role.invitationId !== invitation.id || role.role !== invitation.role) {
    return "The role was changed or the invitation re-sent before it was sent.";
  }
  return undefined;
}

export function failureReason(error: unknown, attempts: number): string {
  const tries = `${attempts} ${attempts === 1 ? "attempt" : "attempts"}`;
  if (error instanceof MailServiceUnavailableError)
    return `The mail service was unavailable after ${tries}: ${error.message}`;
  return `The invitation could not be sent after ${tries}.`;
}

export function truncate(reason: string): string {
  return reason.length <= reasonLimit ? reason : `${reason.slice(0, reasonLimit - 1)}…`;
}
