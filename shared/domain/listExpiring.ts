import type { Caller, Page } from "./model.js";
import { type ProcessSummary, rightsOf, type SharingPorts, summaryOf } from "./sharingCore.js";

/** Where a page of the expiring list starts: the window's end is fixed by its first page. */
export interface ExpiringPosition {
  readonly until: string;
  readonly token?: string;
}

/**
 * `GET /api/processes?expiringWithin=P7D`: the caller's roles that end within the window, each
 * with `expiresAt`. One query on the caller's own list partition per page, filtered by the
 * `expiresAt` its rows carry; a role that has already ended is in the ordinary list, as revoked.
 */
export class ListExpiring {
  constructor(private readonly ports: SharingPorts) {}

  start(windowMs: number): ExpiringPosition {
    return { until: new Date(this.ports.clock.now().getTime() + windowMs).toISOString() };
  }

  async list(
    caller: Caller,
    top: number,
    at: ExpiringPosition,
  ): Promise<Page<ProcessSummary> & { next?: ExpiringPosition }> {
    const now = this.ports.clock.now();
    const rights = rightsOf(this.ports, caller);
    const page = await this.ports.lists.expiring(caller.id, now.toISOString(), at.until, top, at.token);
    const items = page.items
      .map((entry) => summaryOf(entry, rights, now))
      .filter((summary) => !summary.accessRevoked);
    return page.continuationToken === undefined
      ? { items }
      : { items, next: { until: at.until, token: page.continuationToken } };
  }
}
