import type { MailSender } from "../email/mailSender.js";
import type { Clock, InvitationQueue } from "../ports.js";
import { finalStates, type InvitationLedger } from "./invitationLedger.js";
import type { PendingInvitationIndex } from "./pendingInvitations.js";

/**
 * Hands over again every invitation still unsettled a grace period after it was created (a crash
 * between the commit and the enqueue, the queue briefly down, a message lost to the poison queue
 * before the failure was written). Reads only the pending index's oldest partitions, never the
 * Processes table; a redelivered invitation is harmless, since the sender's ledger sends once.
 */

export interface SweeperOptions {
  readonly ledger: InvitationLedger;
  readonly pending: PendingInvitationIndex;
  readonly queue: InvitationQueue;
  /** Asked about a send already started before an invitation is given up. */
  readonly mail: Pick<MailSender, "lookup">;
  readonly clock: Clock;
  /** Longer than the queue's whole retry span, so that what is still in the queue is left alone. */
  readonly graceSeconds?: number;
  /** Hand-overs by the sweeper before the invitation is marked failed. */
  readonly maxHandOvers?: number;
  /** Rows looked at per run, which bounds one run's cost. */
  readonly batchSize?: number;
}

export interface SweepReport {
  readonly examined: number;
  readonly handedOver: number;
  /** Settled or never committed (a share whose commit failed after its index row was written). */
  readonly cleared: number;
  readonly failed: number;
}

/** 5 deliveries × 30 s visibility plus the sender's own retries stay well inside 5 minutes. */
export const defaultGraceSeconds = 300;
const defaultMaxHandOvers = 3;
const defaultBatchSize = 200;

export class InvitationSweeper {
  private readonly graceMs: number;
  private readonly maxHandOvers: number;
  private readonly batchSize: number;

  constructor(private readonly options: SweeperOptions) {
    this.graceMs = (options.graceSeconds ?? defaultGraceSeconds) * 1000;
    this.maxHandOvers = options.maxHandOvers ?? defaultMaxHandOvers;
    this.batchSize = options.batchSize ?? defaultBatchSize;
  }

  async sweep(now: Date = this.options.clock.now()): Promise<SweepReport> {
    const { ledger, pending, queue } = this.options;
    const cutoff = new Date(now.getTime() - this.graceMs);
    const rows = await pending.listOlderThan(cutoff, this.batchSize);
    const report = { examined: rows.length, handedOver: 0, cleared: 0, failed: 0 };
    for (const row of rows) {
      if (row.lastHandedOverAt !== undefined && Date.parse(row.lastHandedOverAt) > cutoff.getTime()) continue;
      const invitation = await ledger.get(row.processId, row.invitationId);
      if (invitation === undefined || finalStates.has(invitation.status)) {
        await pending.clear(row);
        report.cleared++;
        continue;
      }
      if (row.handOvers >= this.maxHandOvers) {
        const role = await ledger.getRole(row.processId, invitation.principalId);
        // A send may have gone out before the sender stopped: ask the mail service before calling it failed.
        const earlier =
          invitation.status === "sending" && invitation.operationId !== undefined
            ? await this.options.mail.lookup(invitation.operationId)
            : "unknown";
        const delivered = typeof earlier === "object" && earlier.status === "sent";
        await ledger.settle(
          invitation,
          role,
          delivered
            ? { status: "sent", at: now.toISOString() }
            : {
                status: "failed",
                at: now.toISOString(),
                reason: `The invitation was not delivered after ${row.handOvers + 1} hand-overs to the queue.`,
              },
        );
        await pending.clear(row);
        report.failed++;
        continue;
      }
      await queue.enqueue({ processId: row.processId, invitationId: row.invitationId });
      await pending.noteHandOver(row, now);
      report.handedOver++;
    }
    return report;
  }
}
