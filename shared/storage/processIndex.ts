import { odata } from "@azure/data-tables";

import type { Page, ProcessKind, ProcessListEntry } from "../domain/model.js";
import type { ProcessIndex } from "../ports.js";
import { pageSettings } from "./processPartition.js";
import { isNotFound, safeKey, type Tables } from "./tables.js";

/** `ProcessIndex`: PK = kind, RK = processId — every process of a kind, for administrators' lists. */
export class ProcessIndexStore implements ProcessIndex {
  constructor(private readonly tables: Tables) {}

  async page(kind: ProcessKind, top: number, position?: string): Promise<Page<ProcessListEntry>> {
    const page = await this.tables.processIndex
      .listEntities<{ name: string; addedAt: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${kind}` },
      })
      .byPage(pageSettings(top, position))
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
    const next = page.value.continuationToken;
    return next === undefined ? { items } : { items, continuationToken: next };
  }

  async addedAt(kind: ProcessKind, processId: string): Promise<string | undefined> {
    try {
      return (await this.tables.processIndex.getEntity<{ addedAt: string }>(kind, safeKey(processId)))
        .addedAt;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async add(kind: ProcessKind, processId: string, name: string, at: string): Promise<void> {
    await this.tables.processIndex.upsertEntity(
      { partitionKey: kind, rowKey: safeKey(processId), name, addedAt: at },
      "Replace",
    );
  }

  async rename(kind: ProcessKind, processId: string, name: string): Promise<void> {
    try {
      await this.tables.processIndex.updateEntity(
        { partitionKey: kind, rowKey: safeKey(processId), name },
        "Merge",
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async remove(kind: ProcessKind, processId: string): Promise<void> {
    try {
      await this.tables.processIndex.deleteEntity(kind, safeKey(processId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
