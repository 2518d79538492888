import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";

import type { PendingInvitation, PendingInvitationLog } from "../ports.js";
import { isNotFound, safeKey } from "../storage/tables.js";

/**
 * The index of invitations not yet settled, so that the sweeper finds a lost hand-over without
 * scanning the Processes table. The share path writes a row before it commits the invitation;
 * the sender deletes it once the invitation is sent, failed or cancelled.
 *
 *   PendingInvitations  PK = the minute the invitation was created (`2025-01-31T12:34`)
 *                       RK = "{processId}|{invitationId}"
 *
 * Partitions sort by time, so "everything older than the grace period" is one range query over
 * the oldest partitions; rows only live while their invitation is unsettled, so the range stays
 * as small as the backlog.
 */

export interface PendingInvitationRow extends PendingInvitation {
  /** How many times the sweeper has handed this invitation over again. */
  readonly handOvers: number;
  readonly lastHandedOverAt?: string;
}

// A type, not an interface: the SDK wants entities assignable to Record<string, unknown>.
type PendingEntity = {
  processId: string;
  invitationId: string;
  createdAt: string;
  handOvers: number;
  lastHandedOverAt?: string;
};

/** The partition of an instant: its UTC minute, which sorts as text in time order. */
export function pendingBucket(at: string | Date): string {
  const iso = typeof at === "string" ? new Date(at).toISOString() : at.toISOString();
  return iso.slice(0, 16);
}

function rowKey(invitation: { processId: string; invitationId: string }): string {
  return `${safeKey(invitation.processId)}|${safeKey(invitation.invitationId)}`;
}

/** An entity-group transaction holds at most 100 operations. */
const maxBatch = 100;

export class PendingInvitationIndex implements PendingInvitationLog {
  constructor(private readonly table: TableClient) {}

  async record(invitations: readonly PendingInvitation[]): Promise<void> {
    const byBucket = new Map<string, TransactionAction[]>();
    for (const invitation of invitations) {
      const partitionKey = pendingBucket(invitation.createdAt);
      const entity: PendingEntity & { partitionKey: string; rowKey: string } = {
        partitionKey,
        rowKey: rowKey(invitation),
        processId: invitation.processId,
        invitationId: invitation.invitationId,
        createdAt: invitation.createdAt,
        handOvers: 0,
      };
      const actions = byBucket.get(partitionKey) ?? [];
      actions.push(["upsert", entity, "Replace"]);
      byBucket.set(partitionKey, actions);
    }
    await Promise.all(
      [...byBucket.values()].flatMap((actions) => {
        const chunks: TransactionAction[][] = [];
        for (let start = 0; start < actions.length; start += maxBatch)
          chunks.push(actions.slice(start, start + maxBatch));
        return chunks.map(async (chunk) => {
          const [only] = chunk;
          // One row needs no batch: a plain upsert is one cheaper round trip.
          if (chunk.length === 1 && only !== undefined) await this.table.upsertEntity(only[1], "Replace");
          else await this.table.submitTransaction(chunk);
        });
      }),
    );
  }

  /** The invitation is settled: its row goes. A row already gone is fine. */
  async clear(invitation: PendingInvitation): Promise<void> {
    try {
      await this.table.deleteEntity(pendingBucket(invitation.createdAt), rowKey(invitation));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** The oldest rows created before `cutoff`'s minute, at most `limit` of them. */
  async listOlderThan(cutoff: Date, limit: number): Promise<PendingInvitationRow[]> {
    const page = await this.table
      .listEntities<PendingEntity>({
        queryOptions: { filter: odata`PartitionKey lt ${pendingBucket(cutoff)}` },
      })
      .byPage({ maxPageSize: limit })
      .next();
    if (page.done === true) return [];
    return page.value.map((entity) => ({
      processId: entity.processId,
      invitationId: entity.invitationId,
      createdAt: entity.createdAt,
      handOvers: entity.handOvers,
      ...(entity.lastHandedOverAt !== undefined && { lastHandedOverAt: entity.lastHandedOverAt }),
    }));
  }

  /** Notes a hand-over by the sweeper, so that the next sweeps wait a grace period again. */
  async noteHandOver(row: PendingInvitationRow, at: Date): Promise<void> {
    try {
      await this.table.updateEntity(
        {
          partitionKey: pendingBucket(row.createdAt),
          rowKey: rowKey(row),
          handOvers: row.handOvers + 1,
          lastHandedOverAt: at.toISOString(),
        },
        "Merge",
      );
    } catch (error) {
      // The sender settled it meanwhile and cleared the row: nothing left to note.
      if (!isNotFound(error)) throw error;
    }
  }
}
