import type { DirectoryUser } from "./domain/model.js";

/**
 * The outside world, as the domain sees it. Azure adapters and local adapters implement these;
 * shared/composition.ts picks one of each from configuration.
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A share recipient as the API accepts it. */
export type Recipient = { readonly id: string } | { readonly email: string };

export type ResolvedRecipient =
  | { readonly outcome: "user"; readonly user: DirectoryUser }
  | { readonly outcome: "group" }
  | { readonly outcome: "disabled"; readonly user: DirectoryUser }
  | { readonly outcome: "notFound" };

/** The tenant's people: Microsoft Graph in Azure, a JSON file of users locally. */
export interface Directory {
  /** Resolves each recipient (same order), in as few directory calls as the adapter can. */
  resolve(recipients: readonly Recipient[]): Promise<ResolvedRecipient[]>;
  /** The users with these ids that exist, looked up together; unknown ids are absent from the map. */
  getUsers(ids: readonly string[]): Promise<ReadonlyMap<string, DirectoryUser>>;
  /** People picker: enabled users whose name, mail or UPN starts with `prefix`. */
  search(prefix: string, top: number): Promise<DirectoryUser[]>;
}

/** What the share request hands to the invitation sender. */
export interface InvitationMessage {
  readonly processId: string;
  readonly invitationId: string;
}

export interface InvitationQueue {
  enqueue(message: InvitationMessage): Promise<void>;
}

/** An invitation not yet settled, as the sweeper's index knows it. */
export interface PendingInvitation {
  readonly processId: string;
  readonly invitationId: string;
  /** The invitation's `createdAt`. */
  readonly createdAt: string;
}

/** What the share path needs: record invitations before their commit, so none is ever lost. */
export interface PendingInvitationLog {
  record(invitations: readonly PendingInvitation[]): Promise<void>;
}
