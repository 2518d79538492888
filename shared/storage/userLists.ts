import { odata, type TableEntityResult } from "@azure/data-tables";

import type { Page, ProcessKind, ProcessListEntry, Role } from "../domain/model.js";
import type { UserLists } from "../ports.js";
import { pageSettings } from "./processPartition.js";
import { isNotFound, safeKey, type Tables } from "./tables.js";

/** `UserProcesses`: PK = userId, RK = processId — each user's own list, revoked-but-listed included. */
interface UserProcessEntity {
  kind: ProcessKind;
  name: string;
  role: Role | "";
  accessRevoked: boolean;
  addedAt: string;
  expiresAt?: string;
}

function toListEntry(entity: TableEntityResult<UserProcessEntity>): ProcessListEntry {
  return {
    processId: entity.rowKey ?? "",
    kind: entity.kind,
    name: entity.name,
    role: entity.role === "" ? null : entity.role,
    accessRevoked: entity.accessRevoked,
    addedAt: entity.addedAt,
    ...(typeof entity.expiresAt === "string" && { expiresAt: entity.expiresAt }),
  };
}

export class UserListStore implements UserLists {
  constructor(private readonly tables: Tables) {}

  /** One page of a user's list: one query on their own partition. */
  async page(userId: string, top: number, position?: string): Promise<Page<ProcessListEntry>> {
    const page = await this.tables.userProcesses
      .listEntities<UserProcessEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${safeKey(userId)}` },
      })
      .byPage(pageSettings(top, position))
      .next();
    if (page.done === true) return { items: [] };
    const items = page.value.map(toListEntry);
    const next = page.value.continuationToken;
    return next === undefined ? { items } : { items, continuationToken: next };
  }

  /** One query on their own partition, filtered by the stored `expiresAt` (ISO 8601 sorts as time). */
  async expiring(
    userId: string,
    from: string,
    until: string,
    top: number,
    position?: string,
  ): Promise<Page<ProcessListEntry>> {
    const page = await this.tables.userProcesses
      .listEntities<UserProcessEntity>({
        queryOptions: {
          filter: odata`PartitionKey eq ${safeKey(userId)} and expiresAt gt ${from} and expiresAt le ${until}`,
        },
      })
      .byPage(pageSettings(top, position))
      .next();
    if (page.done === true) return { items: [] };
    const items = page.value.map(toListEntry);
    const next = page.value.continuationToken;
    return next === undefined ? { items } : { items, continuationToken: next };
  }

  /**
   * Some rows of a user's list by process id: queries of at most 15 comparisons each (Table
   * Storage refuses more in one filter), the partition's and 14 row keys', run side by side.
   */
  async getMany(userId: string, processIds: readonly string[]): Promise<Map<string, ProcessListEntry>> {
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

  async get(userId: string, processId: string): Promise<ProcessListEntry | undefined> {
    try {
      return toListEntry(
        await this.tables.userProcesses.getEntity<UserProcessEntity>(safeKey(userId), safeKey(processId)),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async put(userId: string, entry: ProcessListEntry): Promise<void> {
    const entity: UserProcessEntity = {
      kind: entry.kind,
      name: entry.name,
      role: entry.role ?? "",
      accessRevoked: entry.accessRevoked,
      addedAt: entry.addedAt,
      ...(entry.expiresAt !== undefined && { expiresAt: entry.expiresAt }),
    };
    await this.tables.userProcesses.upsertEntity(
      { partitionKey: safeKey(userId), rowKey: safeKey(entry.processId), ...entity },
      "Replace",
    );
  }

  async rename(userId: string, processId: string, name: string): Promise<void> {
    try {
      await this.tables.userProcesses.updateEntity(
        { partitionKey: safeKey(userId), rowKey: safeKey(processId), name },
        "Merge",
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async remove(userId: string, processId: string): Promise<void> {
    try {
      await this.tables.userProcesses.deleteEntity(safeKey(userId), safeKey(processId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
