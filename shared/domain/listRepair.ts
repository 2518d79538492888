import type { ListRepair, ProcessListEntry, StoredProcess } from "./model.js";
import {
  fanOutConcurrency,
  forEachLimited,
  isPastGrace,
  listRowFor,
  listRowGraceMs,
  type SharingPorts,
} from "./sharingCore.js";

/**
 * How much of a partition one request or one sweep deletes: steps of one query and one
 * transaction of up to 100 rows; what is left waits for the next sweep (or a retry), so a large
 * process never holds a request past the function's time limit.
 */
export interface DeleteBudget {
  readonly rowsPerStep: number;
  readonly stepsPerRun: number;
}

export const defaultDeleteBudget: DeleteBudget = { rowsPerStep: 100, stepsPerRun: 20 };
/** Records one sweep repairs. */
const recordsPerSweep = 200;

/**
 * Brings users' list rows back in line with the process row. Used by a write that failed (to
 * remove what it wrote ahead), by the repair sweep (for what a crash left), and by a delete.
 *
 * The sweep runs every 30 seconds (`repairLists` in functions/processes.ts) and takes the
 * records older than the grace period (60 s): every list converges within 90 seconds of a crash.
 */
export class ListRepairer {
  constructor(
    private readonly ports: SharingPorts,
    private readonly budget: DeleteBudget = defaultDeleteBudget,
  ) {}

  /**
   * Rewrites or removes each user's row to agree with the process; true when nothing is left to
   * do. The sweep leaves rows younger than the grace period alone: they belong to a write that may
   * still be on its way to its commit, and that write's own record brings them back here later.
   */
  async reconcile(
    processId: string,
    userIds: readonly string[] | "members",
    options: {
      skipYoungRows?: boolean;
      /** Put back only rows still as this write left them: a later write's row is that write's own. */
      onlyIfStill?: ReadonlyMap<string, ProcessListEntry>;
    } = {},
  ): Promise<boolean> {
    const process = await this.ports.processes.read(processId);
    if (process === undefined || process.deleting === true) {
      // Gone, or going: the users named may not be members (rows written ahead of a commit that
      // lost to the delete), so their rows go here; the delete's own steps know only its members.
      if (userIds !== "members") {
        await forEachLimited(userIds, fanOutConcurrency, (userId) =>
          this.ports.lists.remove(userId, processId),
        );
      }
      if (process !== undefined) return await this.finishDeletion(process);
      // A create that never committed leaves an index row too (removing a missing one is harmless).
      await this.ports.index.remove("processMining", processId);
      return true;
    }
    const at = this.ports.clock.now().toISOString();
    const users = userIds === "members" ? Object.keys(process.members) : userIds;
    await forEachLimited(users, fanOutConcurrency, async (userId) => {
      const row = await this.ports.lists.get(userId, processId);
      if (options.skipYoungRows === true && row !== undefined && !isPastGrace(this.ports, row.addedAt))
        return;
      const written = options.onlyIfStill?.get(userId);
      if (written !== undefined && !sameRow(row, written)) return;
      const want = listRowFor(process, userId, at);
      if (want === undefined) {
        if (row !== undefined) await this.ports.lists.remove(userId, processId);
      } else if (
        row === undefined ||
        row.role !== want.role ||
        row.accessRevoked !== want.accessRevoked ||
        row.name !== want.name ||
        row.expiresAt !== want.expiresAt
      ) {
        await this.ports.lists.put(userId, want);
      }
    });
    if (userIds === "members" && process.kind === "processMining") {
      await this.ports.index.rename(process.kind, process.id, process.name);
    }
    return true;
  }

  /**
   * The steps of a delete after its tombstone: every member's list row, the index row, then the
   * partition in bounded steps, the tombstone last. False when the budget ran out first (the
   * sweep, or a retry of the delete, goes on from there).
   */
  async finishDeletion(process: StoredProcess): Promise<boolean> {
    await forEachLimited(Object.keys(process.members), fanOutConcurrency, (userId) =>
      this.ports.lists.remove(userId, process.id),
    );
    await this.ports.index.remove(process.kind, process.id);
    for (let step = 0; step < this.budget.stepsPerRun; step++) {
      if (await this.ports.processes.purgeStep(process.id, this.budget.rowsPerStep)) {
        await this.ports.processes.removeTombstone(process.id);
        return true;
      }
    }
    return false;
  }

  /** Repairs what writes recorded before the grace period; each record settled once its rows agree. */
  async sweep(): Promise<{ repaired: number; failed: number }> {
    const before = new Date(this.ports.clock.now().getTime() - listRowGraceMs);
    const due = await this.ports.repairs.due(before, recordsPerSweep);
    let repaired = 0;
    let failed = 0;
    // Records of one process are repaired once: the process is read fresh for the first.
    const done = new Map<string, Promise<boolean>>();
    for (const record of due) {
      try {
        const key = `${record.processId}|${record.userIds === "members" ? "*" : record.userIds.join(",")}`;
        const result =
          done.get(key) ?? this.reconcile(record.processId, record.userIds, { skipYoungRows: true });
        done.set(key, result);
        if (await result) {
          await this.ports.repairs.settle(record);
          repaired++;
        }
      } catch (error) {
        failed++;
        this.ports.warn?.("List repair failed; the next sweep retries it.", {
          processId: record.processId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return { repaired, failed };
  }

  /** Records the rows a write is about to put ahead of its commit. */
  async recordAhead(repair: ListRepair): Promise<void> {
    await this.ports.repairs.record(repair);
  }
}

export type { ListRepair };

function sameRow(row: ProcessListEntry | undefined, written: ProcessListEntry): boolean {
  return (
    row !== undefined &&
    row.role === written.role &&
    row.accessRevoked === written.accessRevoked &&
    row.addedAt === written.addedAt
  );
}
