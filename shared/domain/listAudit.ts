import type { ProcessAccess } from "./authorization.js";
import type { AuditEntry, Caller, Page } from "./model.js";
import type { SharingPorts } from "./sharingCore.js";

/** Who granted, changed, revoked what and when: one page of the audit trail. */
export class ListAudit {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
  ) {}

  async list(caller: Caller, processId: string, top: number, position?: string): Promise<Page<AuditEntry>> {
    await this.access.loadAuthorized(caller, processId, "viewAccess");
    return await this.ports.audit.page(processId, top, position);
  }
}
