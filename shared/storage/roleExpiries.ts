import { odata } from "@azure/data-tables";

import type { ExpiringRole, ExpiryIndex } from "../ports.js";
import { isNotFound, safeKey, type Tables } from "./tables.js";

/**
 * `RoleExpiries`: the roles that end, for the expiry sweep.
 *
 *   PK = the day the role ends (`2026-06-01`)   RK = "{expiresAt}|{processId}|{principalId}"
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
        await this.tables.roleExpiries.upsertEntity(
          {
            partitionKey: day(role.expiresAt),
            rowKey: `${role.expiresAt}|${safeKey(role.processId)}|${safeKey(role.principalId)}`,
            processId: role.processId,
            principalId: role.principalId,
            expiresAt: role.expiresAt,
          },
          "Replace",
        );
      }),
    );
  }

  async due(now: Date, max: number): Promise<ExpiringRole[]> {
    const page = await this.tables.roleExpiries
      .listEntities<{ processId: string; principalId: string; expiresAt: string }>({
        queryOptions: {
          filter: odata`PartitionKey le ${day(now)} and RowKey le ${now.toISOString()}`,
        },
      })
      .byPage({ maxPageSize: max })
      .next();
    if (page.done === true) return [];
    return page.value
      .filter((entity) => Date.parse(entity.expiresAt) <= now.getTime())
      .map((entity) => ({
        processId: entity.processId,
        principalId: entity.principalId,
        expiresAt: entity.expiresAt,
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
