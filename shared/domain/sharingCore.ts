import { ConcurrencyError, ConflictError } from "../errors.js";
import type {
  AuditTrail,
  Clock,
  Directory,
  ExpiryIndex,
  ExpiryNotifier,
  InvitationQueue,
  ListRepairLog,
  PendingInvitationLog,
  ProcessIndex,
  ProcessRows,
  RoleRows,
  UserLists,
} from "../ports.js";
import { holdingOf, isExpired } from "./expiry.js";
import { newId } from "./ids.js";
import type {
  Action,
  AuditEntry,
  AuditOperation,
  Caller,
  EnvironmentRights,
  ProcessKind,
  ProcessListEntry,
  Role,
  StoredProcess,
} from "./model.js";
import { allowedActions, environmentRights, isPendingOwner } from "./permissions.js";

/** What every sharing use case is built from: the ports it talks to, and the app roles' names. */
export interface SharingPorts {
  readonly processes: ProcessRows;
  readonly roles: RoleRows;
  readonly audit: AuditTrail;
  readonly lists: UserLists;
  readonly index: ProcessIndex;
  readonly repairs: ListRepairLog;
  readonly directory: Directory;
  readonly invitations: InvitationQueue;
  readonly pendingInvitations?: PendingInvitationLog;
  /** The index of roles that end, which the expiry sweep reads (absent: nothing expires by timer). */
  readonly expiries?: ExpiryIndex;
  /** Sends the notices a share asked for before a role ends (absent: none are sent). */
  readonly expiryNotices?: ExpiryNotifier;
  readonly clock: Clock;
  readonly appRoles: { readonly adminRole: string; readonly shareRole: string };
  /** Logs what the caller cannot act on (a failed hand-over, a repair that must wait for the sweep). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

/** A process as its caller sees it: the process, their role, and what they may do. */
export interface ProcessView {
  readonly id: string;
  readonly kind: ProcessKind;
  readonly name: string;
  readonly description: string;
  readonly ownerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly etag: string;
  readonly myRole: Role | null;
  readonly actions: readonly Action[];
  /** The ownership offer waiting for an answer, if any (issue 14). */
  readonly pendingOwner?: {
    readonly principalId: string;
    readonly offeredAt: string;
    readonly offeredBy: string;
  };
}

export interface ProcessSummary {
  readonly id: string;
  readonly kind: ProcessKind;
  readonly name: string;
  readonly myRole: Role | null;
  readonly accessRevoked: boolean;
  readonly actions: readonly Action[];
  /** When the caller's role ends, while it has not. */
  readonly expiresAt?: string;
}

/**
 * How long a list row written ahead of its commit may disagree with the process before a
 * refusal or the repair sweep treats it as left behind (a commit may still be on its way).
 */
export const listRowGraceMs = 60_000;
/** A role change or an update that lost a race reads again and retries, a bounded number of times. */
export const maxAttempts = 40;
/** List rows written at once by one request (a rename's fan-out, a delete, a repair). */
export const fanOutConcurrency = 8;

export function rightsOf(ports: SharingPorts, caller: Caller): EnvironmentRights {
  return environmentRights(caller, ports.appRoles);
}

export function isPastGrace(ports: SharingPorts, writtenAt: string): boolean {
  return ports.clock.now().getTime() - Date.parse(writtenAt) > listRowGraceMs;
}

export function viewOf(
  process: StoredProcess,
  role: Role | null,
  rights: EnvironmentRights,
  callerId?: string,
): ProcessView {
  const offer = process.pendingOwner;
  return {
    id: process.id,
    kind: process.kind,
    name: process.name,
    description: process.description,
    ownerId: process.ownerId,
    createdAt: process.createdAt,
    updatedAt: process.updatedAt,
    etag: process.etag,
    myRole: role,
    actions: allowedActions(process.kind, role, rights, {
      pendingOwner: callerId !== undefined && isPendingOwner(process, callerId),
    }),
    ...(offer !== undefined && {
      pendingOwner: {
        principalId: offer.principalId,
        offeredAt: offer.offeredAt,
        offeredBy: offer.offeredBy,
      },
    }),
  };
}

/** `now`: a role whose expiry has passed reads as revoked, whether or not the expiry sweep ran. */
export function summaryOf(entry: ProcessListEntry, rights: EnvironmentRights, now?: Date): ProcessSummary {
  const expired = now !== undefined && isExpired(entry.expiresAt, now);
  if (expired) entry = { ...entry, role: null, accessRevoked: true };
  const actions = allowedActions(entry.kind, entry.role, rights);
  // A share right alone (task mining admin, share privilege) does not put a process in a list.
  const revoked = entry.role === null && !actions.includes("read");
  return {
    id: entry.processId,
    kind: entry.kind,
    name: entry.name,
    myRole: entry.role,
    accessRevoked: revoked,
    actions: revoked ? [] : actions,
    ...(entry.role !== null && entry.expiresAt !== undefined && { expiresAt: entry.expiresAt }),
  };
}

/** The list row a member's state calls for; undefined when the user should have none. */
export function listRowFor(process: StoredProcess, userId: string, at: string): ProcessListEntry | undefined {
  // An expired role's row reads as revoked from the moment it passes (`at` is the clock's now).
  const { state, role, expiresAt } = holdingOf(process, userId, new Date(at));
  if (state === "none") return undefined;
  return {
    processId: process.id,
    kind: process.kind,
    name: process.name,
    role,
    accessRevoked: role === null,
    addedAt: at,
    ...(role !== null && expiresAt !== undefined && { expiresAt }),
  };
}

export function auditEntry(
  processId: string,
  caller: Caller,
  operation: AuditOperation,
  at: string,
  change?: { principalId: string; from: Role | "revoked" | undefined; to: Role | null },
): AuditEntry {
  const previous = change?.from === "revoked" ? undefined : change?.from;
  return {
    id: newId(),
    processId,
    at,
    actorId: caller.id,
    operation,
    ...(change !== undefined && { principalId: change.principalId }),
    ...(change?.to !== undefined && change.to !== null && { role: change.to }),
    ...(previous !== undefined && { previousRole: previous }),
  };
}

export function conflictOr(error: unknown): unknown {
  return error instanceof ConcurrencyError
    ? new ConflictError("conflict", "The process is being changed by someone else; try again.")
    : error;
}

export async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 5 * 2 ** Math.min(attempt, 6));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
