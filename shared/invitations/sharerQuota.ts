import type { TableClient } from "@azure/data-tables";

import { ConcurrencyError } from "../errors.js";
import { isNotFound, safeKey, statusOf } from "../storage/tables.js";

/**
 * The per-sharer hourly quota of invitation emails (SPEC "Invitations": the sender is the
 * organization's and must not become a way to flood anyone). A sliding hour: one row per sharer
 * holds the invitations claimed for sending in the last hour, and every take is a write
 * conditional on the row as read, so two deliveries at once cannot both take the last slot.
 * Taking is idempotent per invitation: a redelivery of one invitation counts once.
 *
 *   InvitationQuotas  PK = sharer's principal id   RK = "hour"
 *                     sends = "{invitationId}@{epoch seconds},..." (oldest first)
 */

export const quotaWindowSeconds = 3600;
/** The largest quota one row can hold (about 48 characters a send, far below a property's 32K characters). */
export const maxHourlyQuota = 500;

const rowKey = "hour";
const maxRounds = 8;

interface QuotaEntity {
  sends: string;
}

export type QuotaTake =
  { readonly taken: true } | { readonly taken: false; readonly retryAfterSeconds: number };

export class SharerQuota {
  constructor(
    private readonly table: TableClient,
    private readonly hourlyLimit: number,
  ) {
    if (!Number.isInteger(hourlyLimit) || hourlyLimit < 1 || hourlyLimit > maxHourlyQuota) {
      throw new Error(`The hourly invitation quota is a whole number from 1 to ${maxHourlyQuota}.`);
    }
  }

  /** Counts `invitationId` against the sharer's hour, unless the hour is full. */
  async take(sharerId: string, invitationId: string, now: Date): Promise<QuotaTake> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    for (let round = 1; ; round++) {
      const row = await this.read(sharerId);
      const recent = (row?.sends ?? []).filter(([, at]) => at > nowSeconds - quotaWindowSeconds);
      if (recent.some(([id]) => id === invitationId)) return { taken: true };
      if (recent.length >= this.hourlyLimit) {
        const oldest = Math.min(...recent.map(([, at]) => at));
        return { taken: false, retryAfterSeconds: Math.max(1, oldest + quotaWindowSeconds - nowSeconds) };
      }
      const sends = [...recent, [invitationId, nowSeconds] as const]
        .map(([id, at]) => `${id}@${at}`)
        .join(",");
      const entity = { partitionKey: safeKey(sharerId), rowKey, sends };
      try {
        if (row === undefined) await this.table.createEntity(entity);
        else await this.table.updateEntity(entity, "Replace", { etag: row.etag });
        return { taken: true };
      } catch (error) {
        const status = statusOf(error);
        const lostRace = status === 409 || status === 412 || status === 404;
        if (!lostRace) throw error;
        if (round >= maxRounds) throw new ConcurrencyError(undefined, { cause: error });
      }
    }
  }

  private async read(
    sharerId: string,
  ): Promise<{ sends: Array<readonly [string, number]>; etag: string } | undefined> {
    try {
      const entity = await this.table.getEntity<QuotaEntity>(safeKey(sharerId), rowKey);
      const sends = entity.sends
        .split(",")
        .filter((item) => item !== "")
        .map((item) => {
          const at = item.lastIndexOf("@");
          return [item.slice(0, at), Number(item.slice(at + 1))] as const;
        });
      return { sends, etag: entity.etag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}
