import { odata, type TableEntityResult } from "@azure/data-tables";

import type { RoleRow } from "../domain/model.js";
import type { RoleRows } from "../ports.js";
import { partitionOf, rangeEnd, type RoleEntity, rolePrefix } from "./processPartition.js";
import type { Tables } from "./tables.js";

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
    ...(typeof entity.expiresAt === "string" && { expiresAt: entity.expiresAt }),
  };
}

/** The role rows of a process: who holds what, granted by whom, and their invitation's state. */
export class RoleRowStore implements RoleRows {
  constructor(private readonly tables: Tables) {}

  /** One query over the partition's role range. */
  async list(processId: string): Promise<RoleRow[]> {
    const filter = odata`PartitionKey eq ${partitionOf(processId)} and RowKey ge ${rolePrefix} and RowKey lt ${rangeEnd(rolePrefix)}`;
    const rows: RoleRow[] = [];
    for await (const entity of this.tables.processes.listEntities<RoleEntity>({ queryOptions: { filter } })) {
      rows.push(toRoleRow(entity));
    }
    return rows;
  }
}
