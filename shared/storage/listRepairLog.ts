import { randomUUID } from "node:crypto";

import { odata } from "@azure/data-tables";

import type { ListRepair } from "../domain/model.js";
import type { ListRepairLog } from "../ports.js";
import { isNotFound, safeKey, type Tables } from "./tables.js";

/**
 * `ListRepairs`: the list rows a write puts ahead of its commit, recorded before them.
 *
 *   PK = the minute of the write (`2025-01-31T12:34`)   RK = "{processId}|{random}"
 *
 * Partitions sort by time, so "everything older than the grace period" is one range query over
 * the oldest partitions; the sweep settles each record once the rows it names agree with the
 * process, so the table stays as small as the last few minutes of writes.
 */
function bucket(at: string | Date): string {
  return new Date(at).toISOString().slice(0, 16);
}

export class ListRepairStore implements ListRepairLog {
  constructor(private readonly tables: Tables) {}

  async record(repair: ListRepair): Promise<ListRepair> {
    const key = { partition: bucket(repair.at), row: `${safeKey(repair.processId)}|${randomUUID()}` };
    await this.tables.listRepairs.createEntity({
      partitionKey: key.partition,
      rowKey: key.row,
      processId: repair.processId,
      userIds: repair.userIds === "members" ? "*" : repair.userIds.join(","),
      at: repair.at,
    });
    return { ...repair, key };
  }

  async due(before: Date, max: number): Promise<ListRepair[]> {
    const page = await this.tables.listRepairs
      .listEntities<{ processId: string; userIds: string; at: string }>({
        // The minute of `before` too: its older records are due, its younger ones are skipped below.
        queryOptions: { filter: odata`PartitionKey le ${bucket(before)}` },
      })
      .byPage({ maxPageSize: max })
      .next();
    if (page.done === true) return [];
    return page.value
      .filter((entity) => Date.parse(entity.at) < before.getTime())
      .map((entity) => ({
        processId: entity.processId,
        userIds: entity.userIds === "*" ? "members" : entity.userIds.split(",").filter((id) => id !== ""),
        at: entity.at,
        key: { partition: entity.partitionKey ?? "", row: entity.rowKey ?? "" },
      }));
  }

  async settle(repair: ListRepair): Promise<void> {
    if (repair.key === undefined) return;
    try {
      await this.tables.listRepairs.deleteEntity(repair.key.partition, repair.key.row);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
