import type { ProcessAccess } from "./authorization.js";
import type { Caller } from "./model.js";
import { type ProcessView, viewOf } from "./sharingCore.js";

/** Details of one process, with the caller's role and actions: one point read. */
export class GetProcess {
  constructor(private readonly access: ProcessAccess) {}

  async get(caller: Caller, processId: string): Promise<ProcessView> {
    const { process, role, rights } = await this.access.loadAuthorized(caller, processId, "read");
    return viewOf(process, role, rights, caller.id);
  }
}
