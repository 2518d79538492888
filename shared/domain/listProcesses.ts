import { invalidContinuationToken } from "../errors.js";
import { holdingOf } from "./expiry.js";
import type { Caller, EnvironmentRights, Page, ProcessKind, ProcessListEntry } from "./model.js";
import { administratorListsAll } from "./permissions.js";
import { isPastGrace, type ProcessSummary, rightsOf, type SharingPorts, summaryOf } from "./sharingCore.js";

/** Where a list page starts: in the caller's own list, or in the index of a kind (administrators). */
export type ListPosition =
  | { readonly phase: "own"; readonly token?: string }
  | { readonly phase: "index"; readonly kind: ProcessKind; readonly token?: string };

/**
 * The caller's list: one query on their own partition. A process mining administrator also
 * sees every process mining process (from the kind's index), after their own list. The position
 * comes back opened from a sealed token; the index phase is re-checked on every page.
 */
export class ListProcesses {
  constructor(private readonly ports: SharingPorts) {}

  async list(
    caller: Caller,
    top: number,
    position: unknown,
  ): Promise<Page<ProcessSummary> & { next?: ListPosition }> {
    const rights = rightsOf(this.ports, caller);
    const at = parsePosition(position);
    // Kinds whose every process an administrator sees come from the index, not from their own list.
    const adminListsAll = rights.isAdministrator && administratorListsAll("processMining");
    if (at.phase === "index") {
      if (!adminListsAll) throw invalidContinuationToken();
      return await this.indexPage(caller, rights, at.kind, top, at.token);
    }
    const page = await this.ports.lists.page(caller.id, top, at.token);
    const entries = await Promise.all(page.items.map((entry) => this.verifyRevoked(caller.id, entry)));
    const items = entries
      .filter((entry): entry is ProcessListEntry => entry !== undefined)
      .filter((entry) => !(adminListsAll && entry.kind === "processMining"))
      .map((entry) => summaryOf(entry, rights, this.ports.clock.now()));
    const next: ListPosition | undefined =
      page.continuationToken !== undefined
        ? { phase: "own", token: page.continuationToken }
        : adminListsAll
          ? { phase: "index", kind: "processMining" }
          : undefined;
    return next === undefined ? { items } : { items, next };
  }

  private async indexPage(
    caller: Caller,
    rights: EnvironmentRights,
    kind: ProcessKind,
    top: number,
    token: string | undefined,
  ): Promise<Page<ProcessSummary> & { next?: ListPosition }> {
    const page = await this.ports.index.page(kind, top, token);
    const mine = await this.ports.lists.getMany(
      caller.id,
      page.items.map((entry) => entry.processId),
    );
    const items = page.items.map((entry) => {
      const own = mine.get(entry.processId);
      const expiry = own?.expiresAt === undefined ? {} : { expiresAt: own.expiresAt };
      return summaryOf(
        { ...entry, role: own?.role ?? null, accessRevoked: false, ...expiry },
        rights,
        this.ports.clock.now(),
      );
    });
    return page.continuationToken === undefined
      ? { items }
      : { items, next: { phase: "index", kind, token: page.continuationToken } };
  }

  /**
   * A row that denies access cannot be opened, so it is checked here against the process (rare:
   * only revoked rows cost a read). Rows that grant access are kept true by the repair sweep.
   */
  private async verifyRevoked(
    userId: string,
    entry: ProcessListEntry,
  ): Promise<ProcessListEntry | undefined> {
    if (!entry.accessRevoked) return entry;
    const process = await this.ports.processes.read(entry.processId);
    if (process === undefined || process.deleting === true) {
      if (!isPastGrace(this.ports, entry.addedAt)) return entry;
      await this.ports.lists.remove(userId, entry.processId);
      return undefined;
    }
    const { role: state, expiresAt } = holdingOf(process, userId, this.ports.clock.now());
    // A young revoked row may be a revoke on its way to its commit: leave it.
    if (state === null || !isPastGrace(this.ports, entry.addedAt)) return entry;
    const expiry = expiresAt === undefined ? {} : { expiresAt };
    const healed = { ...entry, role: state, accessRevoked: false, name: process.name, ...expiry };
    await this.ports.lists.put(userId, healed);
    return healed;
  }
}

function parsePosition(position: unknown): ListPosition {
  if (position === undefined) return { phase: "own" };
  if (typeof position === "object" && position !== null) {
    const { phase, kind, token } = position as Record<string, unknown>;
    const tokenOk = token === undefined || typeof token === "string";
    if (phase === "own" && tokenOk) return token === undefined ? { phase } : { phase, token };
    if (phase === "index" && kind === "processMining" && tokenOk)
      return token === undefined ? { phase, kind } : { phase, kind, token };
  }
  throw invalidContinuationToken();
}
