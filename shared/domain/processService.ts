import {
  BadRequestError,
  ConcurrencyError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from "../errors.js";
import type {
  Clock,
  Directory,
  InvitationQueue,
  PendingInvitationLog,
  Recipient,
  ResolvedRecipient,
} from "../ports.js";
import { newId } from "./ids.js";
import type {
  Action,
  AuditEntry,
  AuditOperation,
  Caller,
  EnvironmentRights,
  GrantableRole,
  InvitationStatus,
  Page,
  Process,
  ProcessKind,
  ProcessListEntry,
  Role,
} from "./model.js";
import {
  administratorListsAll,
  allowedActions,
  environmentRights,
  isHiddenFromAccessList,
  isRoleOfKind,
} from "./permissions.js";
import {
  type InvitationRecord,
  maxMembers,
  type ProcessRepository,
  type RoleWrite,
  type StoredProcess,
} from "./processRepository.js";

/**
 * The sharing use cases. Every rule comes from permissions.ts; every write goes through the
 * store, conditional on what was read, so that concurrent changes serialize instead of losing.
 */

/** A process as its caller sees it: the process, their role, and what they may do. */
export interface ProcessView extends Process {
  readonly myRole: Role | null;
  readonly actions: readonly Action[];
}

export interface ProcessSummary {
  readonly id: string;
  readonly kind: ProcessKind;
  readonly name: string;
  readonly myRole: Role | null;
  readonly accessRevoked: boolean;
  readonly actions: readonly Action[];
}

export interface AccessEntry {
  readonly principalId: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly userType: "Member" | "Guest" | null;
  readonly role: Role;
  readonly grantedBy: string;
  readonly grantedAt: string;
  readonly invitation: {
    readonly status: InvitationStatus;
    readonly sentAt?: string;
    readonly failureReason?: string;
  };
}

export interface ShareRequest {
  readonly role: GrantableRole;
  readonly recipients: readonly Recipient[];
  readonly sendInvitation: boolean;
  readonly message?: string;
}

export type ShareStatus = "granted" | "updated" | "unchanged" | "failed";

export interface ShareResult {
  readonly recipient: Recipient;
  readonly principalId?: string;
  readonly status: ShareStatus;
  readonly error?: { readonly code: string; readonly detail: string };
}

export interface ProcessServiceOptions {
  readonly store: ProcessRepository;
  readonly directory: Directory;
  readonly invitations: InvitationQueue;
  readonly clock: Clock;
  readonly appRoles: { readonly adminRole: string; readonly shareRole: string };
  /** Logs what the caller cannot act on (a failed hand-over to the queue). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
  /** Records each invitation before its commit, so that the sweeper finds one whose hand-over is lost. */
  readonly pendingInvitations?: PendingInvitationLog;
}

/** A role change lost a race with another: read again and retry, a bounded number of times. */
const maxAttempts = 40;
/** Changes committed in one entity-group transaction (at most 100 operations: 1 + 3 per change). */
const maxChangesPerCommit = 33;
/**
 * How long a list row written ahead of its commit may point at a role that is not there yet
 * before a refusal treats it as left behind by a crash and heals it.
 */
const listRowGraceMs = 60_000;

export interface Authorized {
  readonly process: StoredProcess;
  readonly role: Role | null;
  readonly rights: EnvironmentRights;
  readonly actions: readonly Action[];
}

/** A planned change for one recipient, decided from the members map that was read. */
interface PlannedChange {
  readonly index: number;
  readonly principalId: string;
  readonly from: Role | "revoked" | undefined;
  readonly to: Role | null;
  readonly status: ShareStatus;
  readonly operation: AuditOperation;
}

export class ProcessService {
  constructor(private readonly options: ProcessServiceOptions) {}

  private get store(): ProcessRepository {
    return this.options.store;
  }

  private now(): string {
    return this.options.clock.now().toISOString();
  }

  private rights(caller: Caller): EnvironmentRights {
    return environmentRights(caller, this.options.appRoles);
  }

  async create(
    caller: Caller,
    input: { kind: ProcessKind; name: string; description?: string },
  ): Promise<ProcessView> {
    const at = this.now();
    const id = newId();
    const process = await this.store.createProcess(
      {
        id,
        kind: input.kind,
        name: input.name,
        description: input.description ?? "",
        ownerId: caller.id,
        createdAt: at,
        updatedAt: at,
        members: { [caller.id]: "owner" },
      },
      this.auditEntry(id, caller, "created", at),
    );
    return this.view(process, "owner", this.rights(caller));
  }

  async get(caller: Caller, processId: string): Promise<ProcessView> {
    const { process, role, rights } = await this.authorize(caller, processId, "read");
    return this.view(process, role, rights);
  }

  async update(
    caller: Caller,
    processId: string,
    changes: { name?: string; description?: string },
    ifMatch: string | undefined,
  ): Promise<ProcessView> {
    for (let attempt = 1; ; attempt++) {
      const { process, role, rights } = await this.authorize(caller, processId, "update");
      if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== process.etag)
        throw new PreconditionFailedError();
      const at = this.now();
      try {
        const updated = await this.store.updateProcess(
          process,
          {
            name: changes.name ?? process.name,
            description: changes.description ?? process.description,
            updatedAt: at,
          },
          this.auditEntry(processId, caller, "updated", at),
        );
        if (updated.name !== process.name) await this.renameEverywhere(updated);
        return this.view(updated, role, rights);
      } catch (error) {
        // A role change moved the row's ETag, not the version the client holds: try again.
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw conflictOr(error);
        await backoff(attempt);
      }
    }
  }

  async delete(caller: Caller, processId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { process } = await this.authorize(caller, processId, "delete");
      try {
        await this.store.deleteProcess(process);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw conflictOr(error);
        await backoff(attempt);
      }
    }
  }

  /**
   * The caller's list: one query on their own partition. A process mining administrator also
   * sees every process mining process (from the kind's index), after their own list.
   */
  async list(
    caller: Caller,
    top: number,
    continuationToken: string | undefined,
  ): Promise<Page<ProcessSummary>> {
    const rights = this.rights(caller);
    const position = decodeListPosition(continuationToken);
    // Kinds whose every process an administrator sees come from the index, not from their own list.
    const adminListsAll = rights.isAdministrator && administratorListsAll("processMining");

    if (position.phase === "own") {
      const page = await this.store.listUserProcesses(caller.id, top, position.token);
      const entries = await Promise.all(page.items.map((entry) => this.verifyRevoked(caller.id, entry)));
      const items = entries
        .filter((entry): entry is ProcessListEntry => entry !== undefined)
        .filter((entry) => !(adminListsAll && entry.kind === "processMining"))
        .map((entry) => this.summary(entry, rights));
      const next =
        page.continuationToken !== undefined
          ? encodeListPosition({ phase: "own", token: page.continuationToken })
          : adminListsAll
            ? encodeListPosition({ phase: "index", kind: "processMining" })
            : undefined;
      return next === undefined ? { items } : { items, continuationToken: next };
    }

    const page = await this.store.listIndex(position.kind, top, position.token);
    const mine = await this.store.getListEntries(
      caller.id,
      page.items.map((entry) => entry.processId),
    );
    const items = page.items.map((entry) => {
      const own = mine.get(entry.processId);
      return this.summary({ ...entry, role: own?.role ?? null, accessRevoked: false }, rights);
    });
    return page.continuationToken === undefined
      ? { items }
      : {
          items,
          continuationToken: encodeListPosition({
            phase: "index",
            kind: position.kind,
            token: page.continuationToken,
          }),
        };
  }

  /**
   * A list row that grants access is checked when it is opened; one that denies it cannot be
   * opened, so it is checked here against the process (rare: only revoked rows cost a read).
   * That heals a row left behind by a revoke that was interrupted before its commit.
   */
  private async verifyRevoked(
    userId: string,
    entry: ProcessListEntry,
  ): Promise<ProcessListEntry | undefined> {
    if (!entry.accessRevoked) return entry;
    const process = await this.store.getProcess(entry.processId);
    if (process === undefined) {
      if (!this.isPastGrace(entry.addedAt)) return entry;
      await this.store.deleteListEntry(userId, entry.processId);
      return undefined;
    }
    const state = process.members[userId];
    // A young revoked row may be a revoke on its way to its commit: leave it.
    if (state === undefined || state === "revoked" || !this.isPastGrace(entry.addedAt)) return entry;
    const healed = { ...entry, role: state, accessRevoked: false, name: process.name };
    await this.store.putListEntry(userId, healed);
    return healed;
  }

  async listAccess(caller: Caller, processId: string): Promise<AccessEntry[]> {
    const { process } = await this.authorize(caller, processId, "viewAccess");
    const rows = await this.store.listRoles(processId);
    const users = await this.options.directory.getUsers(rows.map((row) => row.principalId));
    return rows
      .filter((row) => {
        const user = users.get(row.principalId);
        const isAdmin = user?.appRoles.includes(this.options.appRoles.adminRole) ?? false;
        return row.role === "owner" || !isHiddenFromAccessList(process.kind, isAdmin);
      })
      .sort(
        (a, b) =>
          Number(b.role === "owner") - Number(a.role === "owner") || a.grantedAt.localeCompare(b.grantedAt),
      )
      .map((row) => {
        const user = users.get(row.principalId);
        return {
          principalId: row.principalId,
          displayName: user?.displayName ?? null,
          email: user?.email ?? null,
          userType: user?.userType ?? null,
          role: row.role,
          grantedBy: row.grantedBy,
          grantedAt: row.grantedAt,
          invitation: {
            status: row.invitation.status,
            ...(row.invitation.sentAt !== undefined && { sentAt: row.invitation.sentAt }),
            ...(row.invitation.failureReason !== undefined && {
              failureReason: row.invitation.failureReason,
            }),
          },
        };
      });
  }

  async audit(
    caller: Caller,
    processId: string,
    top: number,
    continuationToken?: string,
  ): Promise<Page<AuditEntry>> {
    await this.authorize(caller, processId, "viewAccess");
    return await this.store.listAudit(processId, top, continuationToken);
  }

  /** Grants `role` to each recipient; per-recipient results, in the order given. */
  async share(caller: Caller, processId: string, request: ShareRequest): Promise<ShareResult[]> {
    const { process } = await this.authorize(caller, processId, "share");
    if (!isRoleOfKind(process.kind, request.role)) throw roleNotAllowed(process.kind, request.role);

    const resolved = await this.options.directory.resolve(request.recipients);
    const results: ShareResult[] = request.recipients.map((recipient, index) =>
      recipientError(recipient, resolved[index], caller, process),
    );
    const targets = results.flatMap((result, index) =>
      result.status === "failed" || result.principalId === undefined
        ? []
        : [{ index, principalId: result.principalId }],
    );
    // Two recipients may be one person (by id and by email): one change for them, told to both.
    const firstOf = new Map<string, number>();
    const repeats = targets.filter(({ index, principalId }) => {
      if (!firstOf.has(principalId)) firstOf.set(principalId, index);
      return firstOf.get(principalId) !== index;
    });
    const changes = targets.filter((target) => !repeats.includes(target));
    // An entity-group transaction holds at most 100 operations (1 + 3 per change): a large share
    // commits in groups, each one whole, read afresh after the one before.
    for (let start = 0; start < changes.length; start += maxChangesPerCommit) {
      const group = changes.slice(start, start + maxChangesPerCommit);
      const planned = await this.applyRoleChanges(
        caller,
        start === 0 ? process : undefined,
        processId,
        (current) =>
          group.map(({ index, principalId }) =>
            plan(index, principalId, current.members[principalId], request.role),
          ),
        request,
      );
      for (const change of planned) {
        const result = results[change.index];
        if (result !== undefined) results[change.index] = { ...result, status: change.status };
      }
    }
    for (const { index, principalId } of repeats) {
      const first = results[firstOf.get(principalId) ?? index];
      const result = results[index];
      if (first !== undefined && result !== undefined) results[index] = { ...result, status: first.status };
    }
    return results;
  }

  /** Changes the role of a current holder. */
  async changeRole(
    caller: Caller,
    processId: string,
    principalId: string,
    request: { role: GrantableRole; sendInvitation: boolean; message?: string },
  ): Promise<ShareResult> {
    const { process } = await this.authorize(caller, processId, "share");
    if (!isRoleOfKind(process.kind, request.role)) throw roleNotAllowed(process.kind, request.role);
    assertNotOwnerOrSelf(caller, process, principalId);
    const [change] = await this.applyRoleChanges(
      caller,
      process,
      processId,
      (current) => {
        const state = holderRole(current, principalId);
        return [plan(0, principalId, state, request.role)];
      },
      request,
    );
    return { recipient: { id: principalId }, principalId, status: change?.status ?? "unchanged" };
  }

  /** Revokes a holder's role, or the caller's own (leaving the process). */
  async revoke(caller: Caller, processId: string, principalId: string): Promise<void> {
    const leaving = principalId === caller.id;
    const { process } = await this.authorize(caller, processId, leaving ? "read" : "share");
    if (principalId === process.ownerId) {
      throw new BadRequestError(
        leaving ? "owner_cannot_leave" : "cannot_share_with_owner",
        leaving
          ? "The owner cannot leave their own process; delete it instead."
          : "The owner's role cannot be revoked.",
      );
    }
    await this.applyRoleChanges(
      caller,
      process,
      processId,
      (current) => {
        const state = holderRole(current, principalId);
        return [
          {
            index: 0,
            principalId,
            from: state,
            to: null,
            status: "updated",
            operation: leaving ? "left" : "revoked",
          },
        ];
      },
      { sendInvitation: false },
    );
  }

  /**
   * The one write path for roles. Reads the process, plans the changes from its members map,
   * writes each affected user's list row, then commits the members map, role rows, audit
   * entries and invitations in one transaction conditional on the ETag read. A lost race reads
   * again. List rows go first so a crash never leaves a user without a process they were given.
   */
  private async applyRoleChanges(
    caller: Caller,
    authorized: StoredProcess | undefined,
    processId: string,
    planFor: (process: StoredProcess) => PlannedChange[],
    invitation: { sendInvitation: boolean; message?: string },
  ): Promise<PlannedChange[]> {
    for (let attempt = 1; ; attempt++) {
      // The first attempt plans from the row that authorized the call, when given; a retry reads it again.
      const process =
        attempt === 1 && authorized !== undefined ? authorized : await this.store.getProcess(processId);
      if (process === undefined) throw new NotFoundError();
      const planned = planFor(process);
      const changes = planned.filter((change) => change.status !== "unchanged");
      if (changes.length === 0) return planned;

      const members: Record<string, Role | "revoked"> = { ...process.members };
      for (const change of changes) members[change.principalId] = change.to ?? "revoked";
      if (Object.keys(members).length > maxMembers) {
        throw new ConflictError("too_many_members", `A process can have at most ${maxMembers} people.`);
      }

      const at = this.now();
      const writes = changes.map((change): RoleWrite => {
        const invite =
          change.to !== null && invitation.sendInvitation
            ? this.invitationFor(caller, process, change, at, invitation.message)
            : undefined;
        return {
          principalId: change.principalId,
          role: change.to,
          grantedBy: caller.id,
          grantedAt: at,
          audit: this.auditEntry(processId, caller, change.operation, at, change),
          ...(invite !== undefined && { invitation: invite }),
        };
      });

      await Promise.all(
        changes.map((change) =>
          this.store.putListEntry(change.principalId, {
            processId,
            kind: process.kind,
            name: process.name,
            role: change.to,
            accessRevoked: change.to === null,
            addedAt: at,
          }),
        ),
      );
      const invitations = writes.flatMap((write) =>
        write.invitation === undefined ? [] : [write.invitation],
      );
      if (invitations.length > 0) {
        await this.options.pendingInvitations?.record(
          invitations.map(({ processId: id, id: invitationId, createdAt }) => ({
            processId: id,
            invitationId,
            createdAt,
          })),
        );
      }
      try {
        await this.store.commitRoleChanges(process, members, writes);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw conflictOr(error);
        await backoff(attempt);
        continue;
      }
      await this.handOver(writes);
      return planned;
    }
  }

  private invitationFor(
    caller: Caller,
    process: StoredProcess,
    change: PlannedChange,
    at: string,
    message: string | undefined,
  ): Omit<InvitationRecord, "etag"> {
    return {
      id: newId(),
      processId: process.id,
      principalId: change.principalId,
      role: change.to ?? "viewer",
      sharerId: caller.id,
      sharerName: caller.name,
      message: message ?? "",
      status: "pending",
      createdAt: at,
    };
  }

  /** Puts each new invitation on the queue; one that fails here is picked up by the sweeper. */
  private async handOver(writes: readonly RoleWrite[]): Promise<void> {
    await Promise.all(
      writes.map(async (write) => {
        if (write.invitation === undefined) return;
        try {
          await this.options.invitations.enqueue({
            processId: write.invitation.processId,
            invitationId: write.invitation.id,
          });
        } catch (error) {
          this.options.warn?.("Invitation not handed over; the sweeper will retry it.", {
            processId: write.invitation.processId,
            invitationId: write.invitation.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  }

  /**
   * One point read answers both "does it exist" and "may the caller do this". A caller who may
   * not know the process gets 404; one whose roles were revoked gets 403 `access_revoked`.
   * Refusals also heal the caller's list row when an interrupted write left it behind.
   */
  async authorize(caller: Caller, processId: string, action: Action): Promise<Authorized> {
    const process = await this.store.getProcess(processId);
    const rights = this.rights(caller);
    if (process === undefined) {
      await this.healMissingProcess(caller.id, processId, rights);
      throw new NotFoundError();
    }
    const state = process.members[caller.id];
    const role = state === undefined || state === "revoked" ? null : state;
    const actions = allowedActions(process.kind, role, rights);
    if (actions.includes(action)) return { process, role, rights, actions };
    if (state === "revoked") {
      await this.healRevokedEntry(caller.id, process);
      throw new ForbiddenError("access_revoked", "Your access to this process was revoked.");
    }
    if (actions.length > 0) throw new ForbiddenError("forbidden", refusalFor(action));
    await this.healStrayEntry(caller.id, processId);
    throw new NotFoundError();
  }

  // ---- healing what an interrupted write left behind ------------------------------------------
  // List and index rows are written ahead of their commit. A row younger than the grace period may
  // belong to a commit still on its way, so only older ones are healed.

  private isPastGrace(writtenAt: string): boolean {
    return this.options.clock.now().getTime() - Date.parse(writtenAt) > listRowGraceMs;
  }

  /** The process does not exist: a row pointing at it was left by a crashed create or delete. */
  private async healMissingProcess(
    userId: string,
    processId: string,
    rights: EnvironmentRights,
  ): Promise<void> {
    await this.healStrayEntry(userId, processId);
    if (!rights.isAdministrator) return;
    const indexedAt = await this.store.getIndexEntryTime("processMining", processId);
    if (indexedAt !== undefined && this.isPastGrace(indexedAt))
      await this.store.deleteIndexEntry("processMining", processId);
  }

  /** The caller holds no role and never did: their row is left from a grant that never committed. */
  private async healStrayEntry(userId: string, processId: string): Promise<void> {
    const entry = await this.store.getListEntry(userId, processId);
    if (entry !== undefined && this.isPastGrace(entry.addedAt))
      await this.store.deleteListEntry(userId, processId);
  }

  /** The caller's roles were revoked: their row must say so (a revoke may have stopped before it). */
  private async healRevokedEntry(userId: string, process: StoredProcess): Promise<void> {
    const entry = await this.store.getListEntry(userId, process.id);
    if (entry?.accessRevoked === true || (entry !== undefined && !this.isPastGrace(entry.addedAt))) return;
    await this.store.putListEntry(userId, {
      processId: process.id,
      kind: process.kind,
      name: process.name,
      role: null,
      accessRevoked: true,
      addedAt: this.now(),
    });
  }

  private async renameEverywhere(process: StoredProcess): Promise<void> {
    await Promise.all([
      ...Object.keys(process.members).map((userId) =>
        this.store.renameListEntry(userId, process.id, process.name),
      ),
      ...(process.kind === "processMining"
        ? [this.store.putIndexEntry(process.kind, process.id, process.name)]
        : []),
    ]);
  }

  private view(process: StoredProcess, role: Role | null, rights: EnvironmentRights): ProcessView {
    const { members: _members, version: _version, rowEtag: _rowEtag, ...shown } = process;
    return { ...shown, myRole: role, actions: allowedActions(process.kind, role, rights) };
  }

  private summary(entry: ProcessListEntry, rights: EnvironmentRights): ProcessSummary {
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
    };
  }

  private auditEntry(
    processId: string,
    caller: Caller,
    operation: AuditOperation,
    at: string,
    change?: PlannedChange,
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
}

/** The role a user holds now; a user without one is not there to change or revoke. */
function holderRole(process: StoredProcess, principalId: string): Role {
  const state = process.members[principalId];
  if (state === undefined || state === "revoked")
    throw new NotFoundError("That user holds no role on this process.");
  return state;
}

function plan(
  index: number,
  principalId: string,
  from: Role | "revoked" | undefined,
  to: Role,
): PlannedChange {
  if (from === to) return { index, principalId, from, to, status: "unchanged", operation: "granted" };
  const isNew = from === undefined || from === "revoked";
  return {
    index,
    principalId,
    from,
    to,
    status: isNew ? "granted" : "updated",
    operation: isNew ? "granted" : "changed",
  };
}

function recipientError(
  recipient: Recipient,
  resolved: ResolvedRecipient | undefined,
  caller: Caller,
  process: StoredProcess,
): ShareResult {
  const fail = (code: string, detail: string): ShareResult => ({
    recipient,
    status: "failed",
    error: { code, detail },
  });
  switch (resolved?.outcome) {
    case "group":
      return fail("groups_not_supported", "Processes can be shared with users only, not with groups.");
    case "disabled":
      return fail("principal_disabled", "That user's account is disabled.");
    case "notFound":
    case undefined:
      return fail("principal_not_found", "No user of this organization matches that recipient.");
    case "user": {
      const principalId = resolved.user.id.toLowerCase();
      if (principalId === process.ownerId) {
        return {
          ...fail("cannot_share_with_owner", "The owner's role cannot be granted or changed."),
          principalId,
        };
      }
      if (principalId === caller.id) {
        return { ...fail("cannot_share_with_self", "You cannot change your own role."), principalId };
      }
      return { recipient, principalId, status: "unchanged" };
    }
  }
}

function assertNotOwnerOrSelf(caller: Caller, process: StoredProcess, principalId: string): void {
  if (principalId === process.ownerId)
    throw new BadRequestError("cannot_share_with_owner", "The owner's role cannot be changed.");
  if (principalId === caller.id)
    throw new BadRequestError("cannot_share_with_self", "You cannot change your own role.");
}

function roleNotAllowed(kind: ProcessKind, role: Role): BadRequestError {
  return new BadRequestError("role_not_allowed_for_kind", `A ${kind} process has no '${role}' role.`);
}

function refusalFor(action: Action): string {
  switch (action) {
    case "share":
    case "viewAccess":
      return "Only owners and co-owners can manage who has access to this process.";
    case "update":
      return "Only owners and co-owners can change this process.";
    case "delete":
      return "You cannot delete this process.";
    default:
      return "You are not allowed to do that on this process.";
  }
}

function conflictOr(error: unknown): unknown {
  return error instanceof ConcurrencyError
    ? new ConflictError("conflict", "The process is being changed by someone else; try again.")
    : error;
}

async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 5 * 2 ** Math.min(attempt, 6));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

// ---- the list's opaque continuation token ---------------------------------------------------

type ListPosition =
  | { readonly phase: "own"; readonly token?: string }
  | { readonly phase: "index"; readonly kind: ProcessKind; readonly token?: string };

function encodeListPosition(position: ListPosition): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodeListPosition(token: string | undefined): ListPosition {
  if (token === undefined) return { phase: "own" };
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null) {
      const { phase, kind, token: inner } = value as Record<string, unknown>;
      const innerOk = inner === undefined || typeof inner === "string";
      if (phase === "own" && innerOk) return inner === undefined ? { phase } : { phase, token: inner };
      if (phase === "index" && kind === "processMining" && innerOk) {
        return inner === undefined ? { phase, kind } : { phase, kind, token: inner };
      }
    }
  } catch {
    // fall through: a token we did not make
  }
  throw new ValidationError([
    { field: "continuationToken", message: "not a continuation token this service issued" },
  ]);
}
