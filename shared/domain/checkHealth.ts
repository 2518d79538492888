import type { ProcessRows } from "../ports.js";

/** Liveness and storage reachability; says nothing else. */
export class CheckHealth {
  constructor(
    private readonly processes: ProcessRows,
    private readonly ready: () => Promise<void>,
  ) {}

  async check(): Promise<{ status: "ok" } | { status: "unavailable"; reason: string }> {
    try {
      await this.ready();
      await this.processes.ping();
      return { status: "ok" };
    } catch (error) {
      return { status: "unavailable", reason: error instanceof Error ? error.message : String(error) };
    }
  }
}
