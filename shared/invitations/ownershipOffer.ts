import type { StoredProcess } from "../domain/model.js";
import type { InvitationEntry } from "./invitationLedger.js";

/**
 * An ownership offer's email (an invitation of the `owner` role, issue 14) goes out only while
 * that very offer waits on the process: a withdrawn, declined, accepted, replaced or voided one
 * sends nothing. Its role row is not its own (the holder's role stays what it is until they accept).
 */
export function offerStaleReason(invitation: InvitationEntry, process: StoredProcess): string | undefined {
  const offer = process.pendingOwner;
  if (offer?.principalId !== invitation.principalId || offer.invitationId !== invitation.id)
    return "The ownership offer was answered, withdrawn or replaced before the email was sent.";
  return undefined;
}
