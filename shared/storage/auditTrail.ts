import { odata } from "@azure/data-tables";

import type { AuditEntry, Page } from "../domain/model.js";
import type { AuditTrail } from "../ports.js";
import { auditPrefix, compareKeys, pageSettings, partitionOf, rangeEnd } from "./processPartition.js";
import type { Tables } from "./tables.js";

/** The audit rows of a process, in time order. */
export class AuditTrailStore implements AuditTrail {
  constructor(private readonly tables: Tables) {}

  async page(processId: string, top: number, position?: string): Promise<Page<AuditEntry>> {
    const filter = odata`PartitionKey eq ${partitionOf(processId)} and RowKey ge ${auditPrefix} and RowKey lt ${rangeEnd(auditPrefix)}`;
    const page = await this.tables.processes
      .listEntities<Omit<AuditEntry, "id" | "processId">>({ queryOptions: { filter } })
      .byPage(pageSettings(top, position))
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
      ...(entity.expiresAt !== undefined && { expiresAt: entity.expiresAt }),
    }));
    const next = page.value.continuationToken;
    return next === undefined ? { items } : { items, continuationToken: next };
  }
}
