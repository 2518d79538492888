import { ConcurrencyError, PreconditionFailedError } from "../errors.js";
import type { ProcessAccess } from "./authorization.js";
import type { ListRepairer } from "./listRepair.js";
import type { Caller, StoredProcess } from "./model.js";
import {
  auditEntry,
  backoff,
  conflictOr,
  fanOutConcurrency,
  forEachLimited,
  maxAttempts,
  type ProcessView,
  type SharingPorts,
  viewOf,
} from "./sharingCore.js";

/**
 * Name and description, honouring `If-Match`. A rename then reaches every member's list row and
 * the index row, a few at a time; each only renames a row that exists, so a rename racing a
 * delete never brings the process back. A rename is recorded for the repair sweep before its
 * commit, so that a crash in the middle of its fan-out still reaches every list.
 */
export class UpdateProcess {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
    private readonly repair: ListRepairer,
  ) {}

  async update(
    caller: Caller,
    processId: string,
    changes: { name?: string; description?: string },
    ifMatch: string | undefined,
  ): Promise<ProcessView> {
    let recorded = false;
    for (let attempt = 1; ; attempt++) {
      const { process, role, rights } = await this.access.loadAuthorized(caller, processId, "update");
      if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== process.etag)
        throw new PreconditionFailedError();
      const at = this.ports.clock.now().toISOString();
      const name = changes.name ?? process.name;
      if (name !== process.name && !recorded) {
        await this.repair.recordAhead({ processId, userIds: "members", at });
        recorded = true;
      }
      try {
        const updated = await this.ports.processes.update(
          process,
          { name, description: changes.description ?? process.description, updatedAt: at },
          auditEntry(processId, caller, "updated", at),
        );
        if (updated.name !== process.name) await this.renameEverywhere(updated);
        return viewOf(updated, role, rights, caller.id);
      } catch (error) {
        // A role change moved the row's ETag, not the version the client holds: try again.
        if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw conflictOr(error);
        await backoff(attempt);
      }
    }
  }

  /** The rename is committed: a fan-out that fails part-way is finished by the repair sweep. */
  private async renameEverywhere(process: StoredProcess): Promise<void> {
    try {
      await this.fanOut(process);
    } catch (error) {
      this.ports.warn?.("Rename not yet in every list; the repair sweep will finish it.", {
        processId: process.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async fanOut(process: StoredProcess): Promise<void> {
    await forEachLimited(Object.keys(process.members), fanOutConcurrency, (userId) =>
      this.ports.lists.rename(userId, process.id, process.name),
    );
    if (process.kind === "processMining")
      await this.ports.index.rename(process.kind, process.id, process.name);
  }
}
