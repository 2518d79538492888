/** The product's words, as types. No SDK type crosses into the domain. */

export const processKinds = ["taskMining", "processMining"] as const;
export type ProcessKind = (typeof processKinds)[number];

export const roles = ["owner", "coOwner", "contributor", "viewer"] as const;
export type Role = (typeof roles)[number];
/** The roles a share request may grant (the owner's role is never granted). */
export type GrantableRole = Exclude<Role, "owner">;

export const actions = [
  "read",
  "viewAnalytics",
  "update",
  "viewAccess",
  "share",
  "addRecording",
  "manageAllRecordings",
  "delete",
  "analyze",
  "editDataflow",
  // Issue 14, ownership transfer: offer or withdraw (the owner), accept or decline (the person
  // offered), reassign directly (a system administrator, for offboarding).
  "transferOwnership",
  "acceptOwnership",
  "reassignOwnership",
] as const;
export type Action = (typeof actions)[number];

export type InvitationStatus = "pending" | "sent" | "failed" | "notRequested";
/** An invitation's own record also knows a send in flight and one cancelled before it went out. */
export type InvitationState = InvitationStatus | "sending" | "cancelled";

/** The caller, as the token validator resolved it. Nothing else in the app reads the token. */
export interface Caller {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly username: string;
  readonly appRoles: readonly string[];
  /** From the token's optional `acct` claim (1 guest, 0 member); absent when the token does not say. */
  readonly guest?: boolean;
}

/** Environment-level rights, derived from the caller's app roles. */
export interface EnvironmentRights {
  readonly isAdministrator: boolean;
  readonly hasSharePrivilege: boolean;
}

export interface Process {
  readonly id: string;
  readonly kind: ProcessKind;
  readonly name: string;
  readonly description: string;
  readonly ownerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Opaque version of the process's own row, for `ETag`/`If-Match`. */
  readonly etag: string;
}

export interface Invitation {
  readonly id: string;
  readonly status: InvitationStatus;
  readonly sentAt?: string;
  readonly failureReason?: string;
}

/** A user's role on a process, as stored with the process. */
export interface RoleAssignment {
  readonly processId: string;
  readonly principalId: string;
  readonly role: Role;
  readonly grantedBy: string;
  readonly grantedAt: string;
  readonly invitation: Invitation;
}

export type AuditOperation =
  | "created"
  | "granted"
  | "changed"
  | "revoked"
  | "left"
  | "updated"
  | "expired"
  | "ownershipOffered"
  | "ownershipWithdrawn"
  | "ownershipDeclined"
  | "ownershipAccepted"
  | "ownershipReassigned";

export interface AuditEntry {
  readonly id: string;
  readonly processId: string;
  readonly at: string;
  readonly actorId: string;
  readonly operation: AuditOperation;
  readonly principalId?: string;
  readonly role?: Role;
  readonly previousRole?: Role;
  /** When the granted role ends (a grant or change that set an expiry). */
  readonly expiresAt?: string;
}

/** One row of a user's process list; the list keeps processes whose access was revoked. */
export interface ProcessListEntry {
  readonly processId: string;
  readonly kind: ProcessKind;
  readonly name: string;
  readonly role: Role | null;
  readonly accessRevoked: boolean;
  readonly addedAt: string;
  /** When the role ends; past it the row reads as revoked whether or not the expiry sweep ran. */
  readonly expiresAt?: string;
}

export interface DirectoryUser {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly userType: "Member" | "Guest";
  readonly accountEnabled: boolean;
  /** App roles assigned to the user on this API (to hide administrators from access lists). */
  readonly appRoles: readonly string[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly continuationToken?: string;
}

// ---- the process as the sharing core stores it ----------------------------------------------

export type MemberState = Role | "revoked";
export type Members = Readonly<Record<string, MemberState>>;

/** The most people holding a role at once (the owner included); revoked users do not count. */
export const maxMembers = 500;
/** The most entries of the members map, revoked users included, so that the row stays far below 1 MiB. */
export const maxMemberEntries = 5_000;

export interface StoredProcess extends Process {
  readonly members: Members;
  /** Version of name/description, what clients see as the `ETag`. */
  readonly version: number;
  /** The row's own ETag, for conditional writes. */
  readonly rowEtag: string;
  /** Set once a delete has begun: the process is gone for everyone but that delete's retries. */
  readonly deleting?: boolean;
  /** When each expiring role ends, by principal (ISO 8601); stored in the same members map entries. */
  readonly expiries?: Readonly<Record<string, string>>;
  /** An offer of ownership to a current holder, waiting for their answer (issue 14). */
  readonly pendingOwner?: OwnershipOffer;
}

/** The owner's offer of the process to a holder; one at a time, a new one replaces it. */
export interface OwnershipOffer {
  readonly principalId: string;
  readonly offeredAt: string;
  readonly offeredBy: string;
  /** The offer's email ("" when none was asked for): the sender sends it only while this offer stands. */
  readonly invitationId: string;
}

/** What a role write also changes on the process row: the owner, the pending offer (null clears it). */
export interface ProcessRowChange {
  readonly ownerId?: string;
  readonly pendingOwner?: OwnershipOffer | null;
}

export interface InvitationRecord {
  readonly id: string;
  readonly processId: string;
  readonly principalId: string;
  readonly role: Role;
  readonly sharerId: string;
  readonly sharerName: string;
  readonly message: string;
  readonly status: InvitationState;
  readonly createdAt: string;
  /** Recorded before the send: the mail operation this invitation's email went out as (the send ledger). */
  readonly operationId?: string;
  readonly sendingAt?: string;
  readonly sentAt?: string;
  readonly failureReason?: string;
  readonly etag: string;
}

export interface RoleRow {
  readonly principalId: string;
  readonly role: Role;
  readonly grantedBy: string;
  readonly grantedAt: string;
  readonly invitation: Invitation;
  readonly expiresAt?: string;
}

/** One role change to commit, with what goes with it. */
export interface RoleWrite {
  readonly principalId: string;
  /** The new role, or null to revoke. */
  readonly role: Role | null;
  readonly audit: AuditEntry;
  /** Written with the role when an invitation is asked for. */
  readonly invitation?: Omit<InvitationRecord, "etag">;
  readonly grantedBy: string;
  readonly grantedAt: string;
  /** When the new role ends; none when absent (a write without it clears an earlier expiry). */
  readonly expiresAt?: string;
}

/** Users whose list rows a write touches ahead of its commit, recorded first so that a timer repairs them after a crash. */
export interface ListRepair {
  readonly processId: string;
  /** The users whose rows were written, or every member of the process (a rename, a delete). */
  readonly userIds: readonly string[] | "members";
  readonly at: string;
  /** The repair log's own key of this record. */
  readonly key?: { readonly partition: string; readonly row: string };
}
