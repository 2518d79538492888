import type {
  AuditEntry,
  DirectoryUser,
  InvitationRecord,
  ListRepair,
  Members,
  OwnershipOffer,
  Page,
  ProcessKind,
  ProcessListEntry,
  ProcessRowChange,
  RoleRow,
  RoleWrite,
  StoredProcess,
} from "./domain/model.js";

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

// ---- storage, as the sharing use cases see it (adapters: shared/storage/) -----------------------

/** The process row: the process and every member's role, one point read; every write conditional on it. */
export interface ProcessRows {
  /** The process, tombstoned ones included (`deleting`); undefined when there is none. */
  read(processId: string): Promise<StoredProcess | undefined>;
  create(
    process: Omit<StoredProcess, "etag" | "rowEtag" | "version">,
    audit: AuditEntry,
  ): Promise<StoredProcess>;
  update(
    process: StoredProcess,
    changes: { name: string; description: string; updatedAt: string },
    audit: AuditEntry,
  ): Promise<StoredProcess>;
  /** Commits role changes atomically, conditional on the process as read; a lost race throws ConcurrencyError. */
  commitRoleChanges(
    process: StoredProcess,
    members: Members,
    writes: readonly RoleWrite[],
    row?: ProcessRowChange,
  ): Promise<void>;
  /** Makes, replaces or clears the ownership offer with its audit entry (and email), conditional on the row read. */
  commitOwnershipOffer(
    process: StoredProcess,
    offer: OwnershipOffer | null,
    audit: AuditEntry,
    invitation?: Omit<InvitationRecord, "etag">,
  ): Promise<void>;
  /** Marks the process deleted, conditional on the row read: from then on it is gone for everyone. */
  markDeleting(process: StoredProcess): Promise<StoredProcess>;
  /** Deletes up to `maxRows` of the partition's other rows; true once none is left but the tombstone. */
  purgeStep(processId: string, maxRows: number): Promise<boolean>;
  /** The last step of a delete: the tombstone itself. */
  removeTombstone(processId: string): Promise<void>;
  /** A cheap read that touches storage (the health check). */
  ping(): Promise<void>;
}

export interface RoleRows {
  list(processId: string): Promise<RoleRow[]>;
}

export interface AuditTrail {
  page(processId: string, top: number, position?: string): Promise<Page<AuditEntry>>;
}

/** Each user's own list of processes. */
export interface UserLists {
  page(userId: string, top: number, position?: string): Promise<Page<ProcessListEntry>>;
  getMany(userId: string, processIds: readonly string[]): Promise<Map<string, ProcessListEntry>>;
  get(userId: string, processId: string): Promise<ProcessListEntry | undefined>;
  put(userId: string, entry: ProcessListEntry): Promise<void>;
  /** Renames an existing row; never creates one. */
  rename(userId: string, processId: string, name: string): Promise<void>;
  remove(userId: string, processId: string): Promise<void>;
  /** A page of the user's rows whose role ends after `from` and at or before `until` (ISO 8601). */
  expiring(
    userId: string,
    from: string,
    until: string,
    top: number,
    position?: string,
  ): Promise<Page<ProcessListEntry>>;
}

/** Every process of a kind, for administrators' lists. */
export interface ProcessIndex {
  page(kind: ProcessKind, top: number, position?: string): Promise<Page<ProcessListEntry>>;
  addedAt(kind: ProcessKind, processId: string): Promise<string | undefined>;
  add(kind: ProcessKind, processId: string, name: string, at: string): Promise<void>;
  /** Renames an existing row; never creates one (a rename racing a delete must not bring it back). */
  rename(kind: ProcessKind, processId: string, name: string): Promise<void>;
  remove(kind: ProcessKind, processId: string): Promise<void>;
}

/** The small time-partitioned log of list rows written ahead of a commit, which a timer repairs. */
export interface ListRepairLog {
  record(repair: ListRepair): Promise<ListRepair>;
  /** Records written before `before`, oldest first, at most `max`. */
  due(before: Date, max: number): Promise<ListRepair[]>;
  settle(repair: ListRepair): Promise<void>;
}

/** A role that ends, as the expiry sweep's index knows it. */
export interface ExpiringRole {
  readonly processId: string;
  readonly principalId: string;
  readonly expiresAt: string;
  /** A notice record: due at `dueAt`, it tells the holder the role ends at `expiresAt`; it revokes nothing. */
  readonly notice?: boolean;
  /** When the record is due: `expiresAt`, or a notice's time. */
  readonly dueAt?: string;
  /** The index's own key of this record. */
  readonly key?: { readonly partition: string; readonly row: string };
}

/** Tells a holder that their role ends soon (an email through the mail service). */
export interface ExpiryNotifier {
  notify(notice: {
    readonly processId: string;
    readonly processName: string;
    readonly principalId: string;
    readonly expiresAt: string;
  }): Promise<void>;
}

/** The index of expiring roles, by when they end: written ahead of the role's commit, settled by the sweep. */
export interface ExpiryIndex {
  record(roles: readonly ExpiringRole[]): Promise<void>;
  /** Roles that ended at or before `now`, oldest first, at most `max`. */
  due(now: Date, max: number): Promise<ExpiringRole[]>;
  settle(role: ExpiringRole): Promise<void>;
}
