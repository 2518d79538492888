import { ConcurrencyError } from "../errors.js";
import type { ProcessAccess } from "./authorization.js";
import type { ListRepairer } from "./listRepair.js";
import type { Caller } from "./model.js";
import { backoff, conflictOr, maxAttempts, type SharingPorts } from "./sharingCore.js";

/**
 * Delete, resumable. First a record for the repair sweep, then a tombstone on the process row
 * (conditional on the row read, so a role change meanwhile makes the delete start over): from
 * then on the process is gone for everyone. Then bounded steps: every member's list row, the
 * index row, the partition's rows a hundred at a time, the tombstone last. A retry of the delete
 * (the tombstone still authorizes it) or the sweep finishes what a failure or the step budget left.
 */
export class DeleteProcess {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
    private readonly repair: ListRepairer,
  ) {}

  async delete(caller: Caller, processId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { process } = await this.access.loadAuthorized(caller, processId, "delete", {
        allowDeleting: true,
      });
      if (process.deleting === true) {
        await this.repair.finishDeletion(process);
        return;
      }
      try {
        await this.repair.recordAhead({
          processId,
          userIds: "members",
          at: this.ports.clock.now().toISOString(),
        });
        const tombstone = await this.ports.processes.markDeleting(process);
        // What the budget leaves, the sweep finishes: the process is already gone for everyone.
        await this.repair.finishDeletion(tombstone);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw conflictOr(error);
        await backoff(attempt);
      }
    }
  }
}
