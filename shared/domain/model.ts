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

export type AuditOperation = "created" | "granted" | "changed" | "revoked" | "left" | "updated";

export interface AuditEntry {
  readonly id: string;
  readonly processId: string;
  readonly at: string;
  readonly actorId: string;
  readonly operation: AuditOperation;
  readonly principalId?: string;
  readonly role?: Role;
  readonly previousRole?: Role;
}

/** One row of a user's process list; the list keeps processes whose access was revoked. */
export interface ProcessListEntry {
  readonly processId: string;
  readonly kind: ProcessKind;
  readonly name: string;
  readonly role: Role | null;
  readonly accessRevoked: boolean;
  readonly addedAt: string;
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
