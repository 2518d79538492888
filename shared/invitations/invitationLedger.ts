import type { TableClient, TransactionAction } from "@azure/data-tables";

import type { InvitationState, InvitationStatus, Role } from "../domain/model.js";
import type { InvitationRecord } from "../domain/model.js";
import { ConcurrencyError } from "../errors.js";
import { invitationPrefix, type RoleEntity, rolePrefix } from "../storage/processPartition.js";
import { isNotFound, safeKey, statusOf } from "../storage/tables.js";

/**
 * The send ledger: the invitation rows (`invitation|{id}` in the process's partition) and the
 * invitation fields of the role rows (`role|{principalId}`), as the sharing core lays them out
 * in processStore.ts. Every write is conditional on the ETag read, so that two deliveries of one
 * message, a re-send and a revoke serialize instead of overwriting each other.
 *
 * An invitation row moves pending → sending (the operation id is recorded BEFORE the mail
 * service is called) → sent | failed, or to cancelled when its access no longer exists.
 * `sending` and `cancelled` stay inside the ledger: the access list shows the role row's status.
 *
 * Beside them, one row per person invited to the process, `mailed|{principalId}`: the last
 * invitation claimed for sending to them and when. The claim writes it in the same transaction
 * as the invitation's move to `sending`, conditional on what was read, so that of two invitations
 * to one person (a role flipped twice, a revoke and re-grant) at most one passes the cooldown, and
 * it survives a revoke (the role row goes, this row stays). Deleting the process deletes it with
 * the partition.
 */

/** The invitation row as the ledger reads it. */
export type InvitationEntry = InvitationRecord;

/** The parts of a role row the ledger reads and writes. */
export interface RoleInvitation {
  readonly processId: string;
  readonly principalId: string;
  readonly role: Role;
  readonly grantedBy: string;
  readonly grantedAt: string;
  /** The invitation the role row answers for ("" when none was asked for). */
  readonly invitationId: string;
  readonly invitationStatus: InvitationStatus;
  readonly etag: string;
}

type InvitationEntity = Omit<InvitationEntry, "id" | "processId" | "etag">;

export const mailedPrefix = "mailed|";

/** The last invitation claimed for sending to one person about one process. */
export interface MailedEntry {
  readonly processId: string;
  readonly principalId: string;
  readonly invitationId: string;
  /** When it was claimed for sending (ISO 8601). */
  readonly at: string;
  readonly etag: string;
}

interface MailedEntity {
  invitationId: string;
  at: string;
}

export const finalStates: ReadonlySet<InvitationState> = new Set([
  "sent",
  "failed",
  "cancelled",
  "notRequested",
]);

export type Settlement =
  | { readonly status: "sent"; readonly at: string }
  | { readonly status: "failed"; readonly at: string; readonly reason: string };

export class InvitationLedger {
  constructor(private readonly processes: TableClient) {}

  async get(processId: string, invitationId: string): Promise<InvitationEntry | undefined> {
    try {
      const entity = await this.processes.getEntity<InvitationEntity>(
        safeKey(processId),
        invitationPrefix + safeKey(invitationId),
      );
      const { partitionKey: _pk, rowKey: _rk, timestamp: _ts, etag, ...fields } = entity;
      return { ...fields, id: invitationId, processId, etag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async getRole(processId: string, principalId: string): Promise<RoleInvitation | undefined> {
    try {
      const entity = await this.processes.getEntity<RoleEntity>(
        safeKey(processId),
        rolePrefix + safeKey(principalId),
      );
      return {
        processId,
        principalId,
        role: entity.role,
        grantedBy: entity.grantedBy,
        grantedAt: entity.grantedAt,
        invitationId: entity.invitationId,
        invitationStatus: entity.invitationStatus,
        etag: entity.etag,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async getMailed(processId: string, principalId: string): Promise<MailedEntry | undefined> {
    try {
      const entity = await this.processes.getEntity<MailedEntity>(
        safeKey(processId),
        mailedPrefix + safeKey(principalId),
      );
      return { processId, principalId, invitationId: entity.invitationId, at: entity.at, etag: entity.etag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Records the operation id with `sending` before the send, and the person's `mailed` row, in
   * one transaction conditional on the invitation's ETag and on the `mailed` row as read (created
   * when there was none). A lost race throws ConcurrencyError.
   */
  async claim(
    invitation: InvitationEntry,
    operationId: string,
    at: string,
    mailed: MailedEntry | undefined,
  ): Promise<InvitationEntry> {
    const changes = { status: "sending", operationId, sendingAt: at } as const;
    const mailedRow = {
      partitionKey: safeKey(invitation.processId),
      rowKey: mailedPrefix + safeKey(invitation.principalId),
      invitationId: invitation.id,
      at,
    };
    const response = await guarded(() =>
      this.processes.submitTransaction([
        ["update", { ...this.keys(invitation), ...changes }, "Merge", { etag: invitation.etag }],
        mailed === undefined
          ? ["create", mailedRow]
          : ["update", mailedRow, "Replace", { etag: mailed.etag }],
      ]),
    );
    const invitationKey = this.keys(invitation).rowKey;
    const etag = (
      response.subResponses.find((sub) => sub.rowKey === invitationKey) ?? response.subResponses[0]
    )?.etag;
    if (etag === undefined) {
      // Never seen; without the new ETag the next conditional write would fail: read it back.
      const again = await this.get(invitation.processId, invitation.id);
      if (again === undefined) throw new ConcurrencyError();
      return again;
    }
    return { ...invitation, ...changes, etag };
  }

  /**
   * A new first-attempt time for an invitation whose send the mail service never accepted and
   * whose repeat window is over; conditional on the ETag read.
   */
  async restamp(invitation: InvitationEntry, at: string): Promise<InvitationEntry> {
    const { etag } = await guarded(() =>
      this.processes.updateEntity({ ...this.keys(invitation), sendingAt: at }, "Merge", {
        etag: invitation.etag,
      }),
    );
    return { ...invitation, sendingAt: at, etag: etag ?? "" };
  }

  /**
   * Settles the invitation and, when the role row still answers for it, the role row's status,
   * in one transaction conditional on both ETags. A lost race throws ConcurrencyError.
   */
  async settle(
    invitation: InvitationEntry,
    role: RoleInvitation | undefined,
    settlement: Settlement,
  ): Promise<void> {
    const invitationChanges =
      settlement.status === "sent"
        ? { status: "sent", sentAt: settlement.at }
        : { status: "failed", failureReason: settlement.reason };
    const actions: TransactionAction[] = [
      ["update", { ...this.keys(invitation), ...invitationChanges }, "Merge", { etag: invitation.etag }],
    ];
    if (role !== undefined && role.invitationId === invitation.id) {
      const roleChanges: Partial<RoleEntity> =
        settlement.status === "sent"
          ? { invitationStatus: "sent", invitationSentAt: settlement.at }
          : { invitationStatus: "failed", invitationFailureReason: settlement.reason };
      actions.push([
        "update",
        {
          partitionKey: safeKey(role.processId),
          rowKey: rolePrefix + safeKey(role.principalId),
          ...roleChanges,
        },
        "Merge",
        { etag: role.etag },
      ]);
    }
    await guarded(() => this.processes.submitTransaction(actions));
  }

  /** The access it was for no longer exists (revoked, changed, re-sent): no email, ever. */
  async cancel(invitation: InvitationEntry, reason: string): Promise<void> {
    await guarded(() =>
      this.processes.updateEntity(
        { ...this.keys(invitation), status: "cancelled", failureReason: reason },
        "Merge",
        { etag: invitation.etag },
      ),
    );
  }

  /**
   * A re-send: a new pending invitation, and the role row pointed at it (its earlier sent time and
   * failure reason dropped), in one transaction conditional on the role row's ETag.
   */
  async replace(role: RoleInvitation, invitation: Omit<InvitationEntry, "etag">): Promise<void> {
    const { id, processId, etag: _etag, ...fields } = { ...invitation, etag: undefined };
    const partitionKey = safeKey(processId);
    const roleEntity: RoleEntity = {
      role: role.role,
      grantedBy: role.grantedBy,
      grantedAt: role.grantedAt,
      invitationId: id,
      invitationStatus: "pending",
    };
    await guarded(() =>
      this.processes.submitTransaction([
        ["create", { partitionKey, rowKey: invitationPrefix + safeKey(id), ...definedOnly(fields) }],
        [
          "update",
          { partitionKey, rowKey: rolePrefix + safeKey(role.principalId), ...roleEntity },
          "Replace",
          { etag: role.etag },
        ],
      ]),
    );
  }

  private keys(invitation: InvitationEntry): { partitionKey: string; rowKey: string } {
    return { partitionKey: safeKey(invitation.processId), rowKey: invitationPrefix + safeKey(invitation.id) };
  }
}

/** A conditional write lost its race: 412 on an ETag, 409 on a create, 404 on a row deleted meanwhile. */
async function guarded<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 409 || status === 412)
      throw new ConcurrencyError(undefined, { cause: error });
    throw error;
  }
}

function definedOnly(fields: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
