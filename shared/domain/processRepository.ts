import type {
  AuditEntry,
  Invitation,
  InvitationState,
  Page,
  Process,
  ProcessKind,
  ProcessListEntry,
  Role,
} from "./model.js";

/**
 * What the sharing use cases need from storage, in the product's words. The Table Storage
 * adapter (shared/storage/processStore.ts) implements it.
 */

export type MemberState = Role | "revoked";
export type Members = Readonly<Record<string, MemberState>>;

/** Cap on the members map (roles and revoked users) so the row stays far below 64 KiB. */
export const maxMembers = 500;

export interface StoredProcess extends Process {
  readonly members: Members;
  /** Version of name/description, what clients see as the `ETag`. */
  readonly version: number;
  /** The row's own ETag, for conditional writes. */
  readonly rowEtag: string;
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
}

export interface ProcessRepository {
  /** The process and every member's role, in one read. */
  getProcess(processId: string): Promise<StoredProcess | undefined>;
  createProcess(
    process: Omit<StoredProcess, "etag" | "rowEtag" | "version">,
    audit: AuditEntry,
  ): Promise<StoredProcess>;
  updateProcess(
    process: StoredProcess,
    changes: { name: string; description: string; updatedAt: string },
    audit: AuditEntry,
  ): Promise<StoredProcess>;
  /** Commits role changes atomically, conditional on the process as read; a lost race throws ConcurrencyError. */
  commitRoleChanges(process: StoredProcess, members: Members, writes: readonly RoleWrite[]): Promise<void>;
  /** Deletes the process (its own row first, conditional on the ETag read), then everything of it. */
  deleteProcess(process: StoredProcess): Promise<void>;
  listRoles(processId: string): Promise<RoleRow[]>;
  listAudit(processId: string, top: number, continuationToken?: string): Promise<Page<AuditEntry>>;
  listUserProcesses(userId: string, top: number, continuationToken?: string): Promise<Page<ProcessListEntry>>;
  getListEntries(userId: string, processIds: readonly string[]): Promise<Map<string, ProcessListEntry>>;
  getListEntry(userId: string, processId: string): Promise<ProcessListEntry | undefined>;
  putListEntry(userId: string, entry: ProcessListEntry): Promise<void>;
  renameListEntry(userId: string, processId: string, name: string): Promise<void>;
  deleteListEntry(userId: string, processId: string): Promise<void>;
  listIndex(kind: ProcessKind, top: number, continuationToken?: string): Promise<Page<ProcessListEntry>>;
  getIndexEntryTime(kind: ProcessKind, processId: string): Promise<string | undefined>;
  putIndexEntry(kind: ProcessKind, processId: string, name: string): Promise<void>;
  deleteIndexEntry(kind: ProcessKind, processId: string): Promise<void>;
}
