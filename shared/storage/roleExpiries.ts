import { odata } from "@azure/data-tables";

import type { ExpiringRole, ExpiryIndex } from "../ports.js";
import { isNotFound, safeKey, type Tables } from "./tables.js";

/**
 * `RoleExpiries`: the roles that end, for the expiry sweep.
 *
 *   PK = the day the record is due (`2026-06-01`)   RK = "{dueAt}|{processId}|{principalId}[|notice]"
 *
 * A role's record is due when it ends; a notice's, `notifyBeforeExpiry` ahead of that.
 *
 * Keys sort by time, so "everything that has ended" is one range query over the oldest
 * partitions. The key is the record: recording the same expiry twice writes one row. The sweep
 * settles each record once the role is revoked, renewed (its new expiry has a record of its own)
 * or gone, so the table holds only expiries still to come.
 */
function day(at: string | Date): string {
  return new Date(at).toISOString().slice(0, 10);
}

export class RoleExpiryStore implements ExpiryIndex {
  constructor(private readonly tables: Tables) {}

  async record(roles: readonly ExpiringRole[]): Promise<void> {
    await Promise.all(
      roles.map(async (role) => {
        const dueAt = role.dueAt ?? role.expiresAt;
        const notice = role.notice === true;
        await this.tables.roleExpiries.upsertEntity(
          {
            partitionKey: day(dueAt),
            rowKey: `${dueAt}|${safeKey(role.processId)}|${safeKey(role.principalId)}${notice ? "|notice" : ""}`,
            processId: role.processId,
            principalId: role.principalId,
            expiresAt: role.expiresAt,
            dueAt,
            notice,
          },
          "Replace",
        );
      }),
    );
  }

  async due(now: Date, max: number): Promise<ExpiringRole[]> {
    const page = await this.tables.roleExpiries
      .listEntities<{
        processId: string;
        principalId: string;
        expiresAt: string;
        dueAt: string;
        notice: boolean;
      }>({
        queryOptions: {
          filter: odata`PartitionKey le ${day(now)} and RowKey le ${now.toISOString()}`,
        },
      })
      .byPage({ maxPageSize: max })
      .next();
    if (page.done === true) return [];
    return page.value
      .filter((entity) => Date.parse(entity.dueAt) <= now.getTime())
      .map((entity) => ({
        processId: entity.processId,
        principalId: entity.principalId,
        expiresAt: entity.expiresAt,
        dueAt: entity.dueAt,
        ...(entity.notice && { notice: true }),
        key: { partition: entity.partitionKey ?? "", row: entity.rowKey ?? "" },
      }));
  }

  async settle(role: ExpiringRole): Promise<void> {
    if (role.key === undefined) return;
    try {
      await this.tables.roleExpiries.deleteEntity(role.key.partition, role.key.row);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
