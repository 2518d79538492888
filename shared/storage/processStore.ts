import { odata, type TableEntityResult, type TransactionAction } from "@azure/data-tables";

import type {
  AuditEntry,
  InvitationStatus,
  Page,
  ProcessKind,
  ProcessListEntry,
  Role,
} from "../domain/model.js";
import type {
  Members,
  MemberState,
  ProcessRepository,
  RoleRow,
  RoleWrite,
  StoredProcess,
} from "../domain/processRepository.js";
import { ValidationError } from "../errors.js";
import { conditional, isNotFound, safeKey, type Tables } from "./tables.js";

/**
 * Table Storage layout (every request touches the caller's own data only, never the table):
 *
 *   Processes      PK = processId   RK = "process"            the process, with its members map
 *                                   RK = "role|{principalId}"  a role row (grant details, invitation status)
 *                                   RK = "audit|{time}|{id}"   the audit trail
 *                                   RK = "invitation|{id}"     a pending invitation for the sender
 *   UserProcesses  PK = userId      RK = processId            the user's process list
 *   ProcessIndex   PK = kind        RK = processId            every process of a kind (administrators)
 *
 * The process row carries every member's role (`members`), so that one point read both finds
 * the process and authorizes the caller, and every role change is a conditional write on that
 * row: two co-owners changing the same process are serialized by its ETag.
 */

export const processRowKey = "process";
export const rolePrefix = "role|";
export const auditPrefix = "audit|";
export const invitationPrefix = "invitation|";
/** What a member map holds besides roles: a user whose every role was revoked. */

const memberCodes: Readonly<Record<MemberState, string>> = {
  owner: "o",
  coOwner: "c",
  contributor: "t",
  viewer: "v",
  revoked: "r",
};
const memberStates = Object.fromEntries(
  Object.entries(memberCodes).map(([state, code]) => [code, state]),
) as Record<string, MemberState>;

interface ProcessEntity {
  kind: ProcessKind;
  name: string;
  description: string;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  members: string;
}

/** A role row as stored; the invitation ledger reads and marks its invitation fields. */
export interface RoleEntity {
  role: Role;
  grantedBy: string;
  grantedAt: string;
  invitationId: string;
  invitationStatus: InvitationStatus;
  invitationSentAt?: string;
  invitationFailureReason?: string;
}

interface UserProcessEntity {
  kind: ProcessKind;
  name: string;
  role: Role | "";
  accessRevoked: boolean;
  addedAt: string;
}

export function encodeMembers(members: Members): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(members).map(([id, state]) => [id, memberCodes[state]])),
  );
}

export function decodeMembers(text: string): Members {
  const raw = JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(Object.entries(raw).map(([id, code]) => [id, memberStates[code] ?? "revoked"]));
}

function toProcess(id: string, entity: TableEntityResult<ProcessEntity>): StoredProcess {
  return {
    id,
    kind: entity.kind,
    name: entity.name,
    description: entity.description,
    ownerId: entity.ownerId,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
    etag: `"v${entity.version}"`,
    version: entity.version,
    members: decodeMembers(entity.members),
    rowEtag: entity.etag,
  };
}

function toRoleRow(entity: TableEntityResult<RoleEntity>): RoleRow {
  return {
    principalId: (entity.rowKey ?? "").slice(rolePrefix.length),
    role: entity.role,
    grantedBy: entity.grantedBy,
    grantedAt: entity.grantedAt,
    invitation: {
      id: entity.invitationId,
      status: entity.invitationStatus,
      ...(entity.invitationSentAt !== undefined && { sentAt: entity.invitationSentAt }),
      ...(entity.invitationFailureReason !== undefined && { failureReason: entity.invitationFailureReason }),
    },
  };
}

function toListEntry(entity: TableEntityResult<UserProcessEntity>): ProcessListEntry {
  return {
    processId: entity.rowKey ?? "",
    kind: entity.kind,
    name: entity.name,
    role: entity.role === "" ? null : entity.role,
    accessRevoked: entity.accessRevoked,
    addedAt: entity.addedAt,
  };
}

/** Continuation tokens are the SDK's, wrapped so that clients see one opaque string. */
function pageOf<T>(items: T[], continuationToken: string | undefined): Page<T> {
  return continuationToken === undefined ? { items } : { items, continuationToken };
}

export class ProcessStore implements ProcessRepository {
  constructor(readonly tables: Tables) {}

  /** One point read: the process and every member's role. */
  async getProcess(processId: string): Promise<StoredProcess | undefined> {
    try {
      const entity = await this.tables.processes.getEntity<ProcessEntity>(safeKey(processId), processRowKey);
      return toProcess(processId, entity);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Creates a process with its owner. The owner's list row and the index row come first, so
   * that a crash part-way leaves a row that points at nothing (healed when it is opened),
   * never a process that its owner cannot find.
   */
  async createProcess(
    process: Omit<StoredProcess, "etag" | "rowEtag" | "version">,
    audit: AuditEntry,
  ): Promise<StoredProcess> {
    await this.putListEntry(process.ownerId, {
      processId: process.id,
      kind: process.kind,
      name: process.name,
      role: "owner",
      accessRevoked: false,
      addedAt: process.createdAt,
    });
    if (process.kind === "processMining") await this.putIndexEntry(process.kind, process.id, process.name);
    const entity: ProcessEntity = {
      kind: process.kind,
      name: process.name,
      description: process.description,
      ownerId: process.ownerId,
      createdAt: process.createdAt,
      updatedAt: process.updatedAt,
      version: 1,
      members: encodeMembers(process.members),
    };
    const partitionKey = safeKey(process.id);
    const result = await conditional(() =>
      this.tables.processes.submitTransaction([
        ["create", { partitionKey, rowKey: processRowKey, ...entity }],
        [
          "create",
          {
            partitionKey,
            rowKey: rolePrefix + safeKey(process.ownerId),
            role: "owner",
            grantedBy: process.ownerId,
            grantedAt: process.createdAt,
            invitationId: "",
            invitationStatus: "notRequested",
          } satisfies RoleEntity & { partitionKey: string; rowKey: string },
        ],
        ["create", this.auditEntity(audit)],
      ]),
    );
    // The process row is the transaction's first operation; its sub-response carries no RowKey to find it by.
    return { ...process, version: 1, etag: `"v1"`, rowEtag: result.subResponses[0]?.etag ?? "" };
  }

  /** Name and description, conditional on the row's ETag; returns the new row ETag. */
  async updateProcess(
    process: StoredProcess,
    changes: { name: string; description: string; updatedAt: string },
    audit: AuditEntry,
  ): Promise<StoredProcess> {
    const partitionKey = safeKey(process.id);
    const version = process.version + 1;
    const result = await conditional(() =>
      this.tables.processes.submitTransaction([
        [
          "update",
          { partitionKey, rowKey: processRowKey, ...changes, version },
          "Merge",
          { etag: process.rowEtag },
        ],
        ["create", this.auditEntity(audit)],
      ]),
    );
    return {
      ...process,
      ...changes,
      version,
      etag: `"v${version}"`,
      rowEtag: result.subResponses[0]?.etag ?? "",
    };
  }

  /**
   * Commits role changes on one process in one entity-group transaction: the members map
   * (conditional on the ETag read), each role row, its audit entry and its invitation.
   */
  async commitRoleChanges(
    process: StoredProcess,
    members: Members,
    writes: readonly RoleWrite[],
  ): Promise<void> {
    const partitionKey = safeKey(process.id);
    const actions: TransactionAction[] = [
      [
        "update",
        { partitionKey, rowKey: processRowKey, members: encodeMembers(members) },
        "Merge",
        { etag: process.rowEtag },
      ],
    ];
    for (const write of writes) {
      const rowKey = rolePrefix + safeKey(write.principalId);
      if (write.role === null) {
        actions.push(["delete", { partitionKey, rowKey }]);
      } else {
        const role: RoleEntity = {
          role: write.role,
          grantedBy: write.grantedBy,
          grantedAt: write.grantedAt,
          invitationId: write.invitation?.id ?? "",
          // A new invitation starts pending; the sender moves the role row on from there.
          invitationStatus: write.invitation === undefined ? "notRequested" : "pending",
        };
        actions.push(["upsert", { partitionKey, rowKey, ...role }, "Replace"]);
      }
      actions.push(["create", this.auditEntity(write.audit)]);
      if (write.invitation !== undefined) {
        const { id, processId: _processId, ...invitation } = write.invitation;
        actions.push([
          "create",
          { partitionKey, rowKey: invitationPrefix + safeKey(id), ...definedOnly(invitation) },
        ]);
      }
    }
    await conditional(() => this.tables.processes.submitTransaction(actions));
  }

  /**
   * Deletes the process. Its row goes first, conditional on the ETag read: from that moment the
   * process is gone for everyone at once (a role change meanwhile makes the delete start over).
   * Then its other rows, the members' list rows and the index row. A crash after the first step
   * leaves only rows nobody can reach; list and index rows left behind heal when opened.
   */
  async deleteProcess(process: StoredProcess): Promise<void> {
    const partitionKey = safeKey(process.id);
    await conditional(() =>
      this.tables.processes.deleteEntity(partitionKey, processRowKey, { etag: process.rowEtag }),
    );
    const rest: TransactionAction[] = [];
    const filter = odata`PartitionKey eq ${partitionKey}`;
    for await (const entity of this.tables.processes.listEntities({
      queryOptions: { filter, select: ["RowKey"] },
    })) {
      rest.push(["delete", { partitionKey, rowKey: entity.rowKey ?? "" }]);
    }
    for (let start = 0; start < rest.length; start += 100) {
      await this.tables.processes.submitTransaction(rest.slice(start, start + 100));
    }
    await Promise.all([
      ...Object.keys(process.members).map((userId) => this.deleteListEntry(userId, process.id)),
      this.deleteIndexEntry(process.kind, process.id),
    ]);
  }

  /** The role rows of one process (one query over its partition's role range). */
  async listRoles(processId: string): Promise<RoleRow[]> {
    const partitionKey = safeKey(processId);
    const rows: RoleRow[] = [];
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${rolePrefix} and RowKey lt ${"role}"}`;
    for await (const entity of this.tables.processes.listEntities<RoleEntity>({ queryOptions: { filter } })) {
      rows.push(toRoleRow(entity));
    }
    return rows;
  }

  async listAudit(processId: string, top: number, continuationToken?: string): Promise<Page<AuditEntry>> {
    const partitionKey = safeKey(processId);
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${auditPrefix} and RowKey lt ${"audit}"}`;
    const page = await this.tables.processes
      .listEntities<Omit<AuditEntry, "id" | "processId">>({ queryOptions: { filter } })
      .byPage(pageSettings(top, continuationToken))
      .next();
    if (page.done === true) return { items: [] };
    // Oldest first within the page whatever order storage answers in (Cosmos DB for Table does not sort).
    const entities = [...page.value].sort((a, b) => compareKeys(a.rowKey, b.rowKey));
    const items = entities.map((entity) => ({
      id: (entity.rowKey ?? "").split("|").at(-1) ?? "",
      processId,
      at: entity.at,
      actorId: entity.actorId,
      operation: entity.operation,
      ...(entity.principalId !== undefined && { principalId: entity.principalId }),
      ...(entity.role !== undefined && { role: entity.role }),
      ...(entity.previousRole !== undefined && { previousRole: entity.previousRole }),
    }));
    return pageOf(items, page.value.continuationToken);
  }

  // ---- the users' lists -------------------------------------------------------------------

  /** One page of a user's list: one query on their own partition. */
  async listUserProcesses(
    userId: string,
    top: number,
    continuationToken?: string,
  ): Promise<Page<ProcessListEntry>> {
    return await this.pageOfList(safeKey(userId), top, continuationToken);
  }

  /**
   * Some rows of a user's list by process id: queries of at most 15 comparisons each (Table
   * Storage refuses more in one filter), the partition's and 14 row keys', run side by side.
   */
  async getListEntries(
    userId: string,
    processIds: readonly string[],
  ): Promise<Map<string, ProcessListEntry>> {
    const found = new Map<string, ProcessListEntry>();
    const rowKeysPerQuery = 14;
    const chunks: string[][] = [];
    for (let start = 0; start < processIds.length; start += rowKeysPerQuery) {
      chunks.push(processIds.slice(start, start + rowKeysPerQuery).map(safeKey));
    }
    await Promise.all(
      chunks.map(async (chunk) => {
        const ids = chunk.map((id) => odata`RowKey eq ${id}`).join(" or ");
        const filter = `${odata`PartitionKey eq ${safeKey(userId)}`} and (${ids})`;
        for await (const entity of this.tables.userProcesses.listEntities<UserProcessEntity>({
          queryOptions: { filter },
        })) {
          found.set(entity.rowKey ?? "", toListEntry(entity));
        }
      }),
    );
    return found;
  }

  async getListEntry(userId: string, processId: string): Promise<ProcessListEntry | undefined> {
    try {
      const entity = await this.tables.userProcesses.getEntity<UserProcessEntity>(
        safeKey(userId),
        safeKey(processId),
      );
      return toListEntry(entity);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async putListEntry(userId: string, entry: ProcessListEntry): Promise<void> {
    const entity: UserProcessEntity = {
      kind: entry.kind,
      name: entry.name,
      role: entry.role ?? "",
      accessRevoked: entry.accessRevoked,
      addedAt: entry.addedAt,
    };
    await this.tables.userProcesses.upsertEntity(
      { partitionKey: safeKey(userId), rowKey: safeKey(entry.processId), ...entity },
      "Replace",
    );
  }

  async renameListEntry(userId: string, processId: string, name: string): Promise<void> {
    try {
      await this.tables.userProcesses.updateEntity(
        { partitionKey: safeKey(userId), rowKey: safeKey(processId), name },
        "Merge",
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async deleteListEntry(userId: string, processId: string): Promise<void> {
    try {
      await this.tables.userProcesses.deleteEntity(safeKey(userId), safeKey(processId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  // ---- the index of every process of a kind (administrators' lists) ------------------------

  async listIndex(
    kind: ProcessKind,
    top: number,
    continuationToken?: string,
  ): Promise<Page<ProcessListEntry>> {
    const page = await this.tables.processIndex
      .listEntities<{ name: string; addedAt: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${kind}` },
      })
      .byPage(pageSettings(top, continuationToken))
      .next();
    if (page.done === true) return { items: [] };
    const items = page.value.map((entity) => ({
      processId: entity.rowKey ?? "",
      kind,
      name: entity.name,
      role: null,
      accessRevoked: false,
      addedAt: entity.addedAt,
    }));
    return pageOf(items, page.value.continuationToken);
  }

  /** When the index row was written, if there is one. */
  async getIndexEntryTime(kind: ProcessKind, processId: string): Promise<string | undefined> {
    try {
      return (await this.tables.processIndex.getEntity<{ addedAt: string }>(kind, safeKey(processId)))
        .addedAt;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async putIndexEntry(kind: ProcessKind, processId: string, name: string): Promise<void> {
    await this.tables.processIndex.upsertEntity(
      { partitionKey: kind, rowKey: safeKey(processId), name, addedAt: new Date().toISOString() },
      "Merge",
    );
  }

  async deleteIndexEntry(kind: ProcessKind, processId: string): Promise<void> {
    try {
      await this.tables.processIndex.deleteEntity(kind, safeKey(processId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private async pageOfList(
    partitionKey: string,
    top: number,
    continuationToken?: string,
  ): Promise<Page<ProcessListEntry>> {
    const page = await this.tables.userProcesses
      .listEntities<UserProcessEntity>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })
      .byPage(pageSettings(top, continuationToken))
      .next();
    if (page.done === true) return { items: [] };
    return pageOf(page.value.map(toListEntry), page.value.continuationToken);
  }

  private auditEntity(audit: AuditEntry): Record<string, unknown> & { partitionKey: string; rowKey: string } {
    const { id, processId, ...fields } = audit;
    return {
      partitionKey: safeKey(processId),
      rowKey: `${auditPrefix}${audit.at}|${safeKey(id)}`,
      ...definedOnly(fields),
    };
  }
}

/**
 * Paging settings. A continuation token comes back from a client: it must have the SDK's envelope
 * (base64 JSON of the service's next-partition and next-row markers), or the request is refused
 * as bad input rather than failing inside the SDK. The markers themselves are the service's and
 * opaque: Cosmos DB for Table's do not look like keys (they hold `#`, quotes, braces), so they are
 * only checked to be printable header text. The query's filter keeps the token to its partition.
 */
export function pageSettings(
  top: number,
  continuationToken: string | undefined,
): { maxPageSize: number; continuationToken?: string } {
  if (continuationToken === undefined) return { maxPageSize: top };
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(continuationToken, "base64").toString("utf8"));
  } catch {
    position = undefined;
  }
  const { nextPartitionKey, nextRowKey } = (
    typeof position === "object" && position !== null ? position : {}
  ) as {
    nextPartitionKey?: unknown;
    nextRowKey?: unknown;
  };
  const marker = (value: unknown) => typeof value === "string" && /^[\x20-\x7e]+$/.test(value);
  if (!marker(nextPartitionKey) || !(nextRowKey === undefined || marker(nextRowKey))) {
    throw new ValidationError([
      { field: "continuationToken", message: "not a continuation token this service issued" },
    ]);
  }
  return { maxPageSize: top, continuationToken };
}

/** Ordinal order of row keys, as Table Storage sorts them. */
export function compareKeys(a: string | undefined, b: string | undefined): number {
  const left = a ?? "";
  const right = b ?? "";
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Table entities must not carry `undefined` properties. */
function definedOnly(fields: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
