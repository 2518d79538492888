import { newId } from "./ids.js";
import type { ListRepairer } from "./listRepair.js";
import type { Caller, ProcessKind } from "./model.js";
import { auditEntry, type ProcessView, rightsOf, type SharingPorts, viewOf } from "./sharingCore.js";

/**
 * Create: the caller becomes owner. The owner's list row and the index row come before the
 * commit (recorded first for the repair sweep), so that a crash never leaves a process its owner
 * cannot find; a create that fails takes them back.
 */
export class CreateProcess {
  constructor(
    private readonly ports: SharingPorts,
    private readonly repair: ListRepairer,
  ) {}

  async create(
    caller: Caller,
    input: { kind: ProcessKind; name: string; description?: string },
  ): Promise<ProcessView> {
    const at = this.ports.clock.now().toISOString();
    const id = newId();
    await this.repair.recordAhead({ processId: id, userIds: [caller.id], at });
    try {
      await this.ports.lists.put(caller.id, {
        processId: id,
        kind: input.kind,
        name: input.name,
        role: "owner",
        accessRevoked: false,
        addedAt: at,
      });
      if (input.kind === "processMining") await this.ports.index.add(input.kind, id, input.name, at);
      const process = await this.ports.processes.create(
        {
          id,
          kind: input.kind,
          name: input.name,
          description: input.description ?? "",
          ownerId: caller.id,
          createdAt: at,
          updatedAt: at,
          members: { [caller.id]: "owner" },
        },
        auditEntry(id, caller, "created", at),
      );
      return viewOf(process, "owner", rightsOf(this.ports, caller));
    } catch (error) {
      await this.repair.reconcile(id, [caller.id]).catch(() => undefined);
      throw error;
    }
  }
}
