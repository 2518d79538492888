import { odata, type TransactionAction } from "@azure/data-tables";

import type {
  AuditEntry,
  InvitationRecord,
  Members,
  OwnershipOffer,
  ProcessRowChange,
  RoleWrite,
  StoredProcess,
} from "../domain/model.js";
import type { ProcessRows } from "../ports.js";
import {
  auditEntity,
  conditional,
  definedOnly,
  encodeMembers,
  invitationPrefix,
  offerProperties,
  partitionOf,
  type ProcessEntity,
  processRowKey,
  type RoleEntity,
  rolePrefix,
  toProcess,
} from "./processPartition.js";
import { isNotFound, safeKey, type Tables } from "./tables.js";

/** The process rows: the process itself, with its members map, and the writes conditional on it. */
export class ProcessStore implements ProcessRows {
  constructor(readonly tables: Tables) {}

  async read(processId: string): Promise<StoredProcess | undefined> {
    try {
      const entity = await this.tables.processes.getEntity<ProcessEntity>(
        partitionOf(processId),
        processRowKey,
      );
      return toProcess(processId, entity);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** The process as the rest of the app sees it: a process whose delete has begun is gone. */
  async getProcess(processId: string): Promise<StoredProcess | undefined> {
    const process = await this.read(processId);
    return process?.deleting === true ? undefined : process;
  }

  async ping(): Promise<void> {
    await this.read("00000000-0000-0000-0000-000000000000");
  }

  /** The process row, the owner's role row and the audit entry, in one transaction. */
  async create(
    process: Omit<StoredProcess, "etag" | "rowEtag" | "version">,
    audit: AuditEntry,
  ): Promise<StoredProcess> {
    const entity: ProcessEntity & Record<string, unknown> = {
      kind: process.kind,
      name: process.name,
      description: process.description,
      ownerId: process.ownerId,
      createdAt: process.createdAt,
      updatedAt: process.updatedAt,
      version: 1,
      ...(encodeMembers(process.members) as { members: string }),
    };
    const partitionKey = partitionOf(process.id);
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
        ["create", auditEntity(audit)],
      ]),
    );
    // The process row is the transaction's first operation; its sub-response carries no RowKey to find it by.
    return { ...process, version: 1, etag: `"v1"`, rowEtag: result.subResponses[0]?.etag ?? "" };
  }

  /** Name and description, conditional on the row's ETag. */
  async update(
    process: StoredProcess,
    changes: { name: string; description: string; updatedAt: string },
    audit: AuditEntry,
  ): Promise<StoredProcess> {
    const partitionKey = partitionOf(process.id);
    const version = process.version + 1;
    const result = await conditional(() =>
      this.tables.processes.submitTransaction([
        [
          "update",
          { partitionKey, rowKey: processRowKey, ...changes, version },
          "Merge",
          { etag: process.rowEtag },
        ],
        ["create", auditEntity(audit)],
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
   * Role changes on one process in one entity-group transaction: the members map (conditional
   * on the ETag read), each role row, its audit entry and its invitation.
   */
  async commitRoleChanges(
    process: StoredProcess,
    members: Members,
    writes: readonly RoleWrite[],
    row: ProcessRowChange = {},
  ): Promise<void> {
    const partitionKey = partitionOf(process.id);
    // Every other holder keeps their expiry; each written role gets the write's own (or none): an
    // ownership transfer's writes carry none, so the new owner's expiry ends with the handover.
    const written = new Set(writes.map((write) => write.principalId));
    const expiries: Record<string, string> = Object.fromEntries(
      Object.entries(process.expiries ?? {}).filter(([id]) => !written.has(id)),
    );
    for (const write of writes) {
      if (write.role !== null && write.expiresAt !== undefined) expiries[write.principalId] = write.expiresAt;
    }
    const rowChanges = {
      ...(row.ownerId !== undefined && { ownerId: row.ownerId }),
      ...(row.pendingOwner !== undefined && offerProperties(row.pendingOwner)),
    };
    const actions: TransactionAction[] = [
      [
        "update",
        { partitionKey, rowKey: processRowKey, ...encodeMembers(members, expiries), ...rowChanges },
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
          ...(write.expiresAt !== undefined && { expiresAt: write.expiresAt }),
        };
        actions.push(["upsert", { partitionKey, rowKey, ...role }, "Replace"]);
      }
      actions.push(["create", auditEntity(write.audit)]);
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
   * An ownership offer made, replaced or cleared (withdrawn, declined): the process row
   * (conditional on the ETag read), its audit entry and the offer's email, in one transaction.
   */
  async commitOwnershipOffer(
    process: StoredProcess,
    offer: OwnershipOffer | null,
    audit: AuditEntry,
    invitation?: Omit<InvitationRecord, "etag">,
  ): Promise<void> {
    const partitionKey = partitionOf(process.id);
    const actions: TransactionAction[] = [
      [
        "update",
        { partitionKey, rowKey: processRowKey, ...offerProperties(offer) },
        "Merge",
        { etag: process.rowEtag },
      ],
      ["create", auditEntity(audit)],
    ];
    if (invitation !== undefined) {
      const { id, processId: _processId, ...fields } = invitation;
      actions.push([
        "create",
        { partitionKey, rowKey: invitationPrefix + safeKey(id), ...definedOnly(fields) },
      ]);
    }
    await conditional(() => this.tables.processes.submitTransaction(actions));
  }

  async markDeleting(process: StoredProcess): Promise<StoredProcess> {
    const result = await conditional(() =>
      this.tables.processes.updateEntity(
        { partitionKey: partitionOf(process.id), rowKey: processRowKey, deleting: true },
        "Merge",
        { etag: process.rowEtag },
      ),
    );
    return { ...process, deleting: true, rowEtag: result.etag ?? "" };
  }

  async purgeStep(processId: string, maxRows: number): Promise<boolean> {
    const partitionKey = partitionOf(processId);
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ne ${processRowKey}`;
    const page = await this.tables.processes
      .listEntities({ queryOptions: { filter, select: ["RowKey"] } })
      .byPage({ maxPageSize: maxRows })
      .next();
    const keys = page.done === true ? [] : page.value.map((entity) => entity.rowKey ?? "");
    for (let start = 0; start < keys.length; start += 100) {
      await this.tables.processes.submitTransaction(
        keys
          .slice(start, start + 100)
          .map((rowKey): TransactionAction => ["delete", { partitionKey, rowKey }]),
      );
    }
    return keys.length < maxRows;
  }

  async removeTombstone(processId: string): Promise<void> {
    try {
      await this.tables.processes.deleteEntity(partitionOf(processId), processRowKey);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
