import { AsyncLocalStorage } from "node:async_hooks";

import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";

/**
 * What happens to the storage requests of one call, whatever their tables and keys: the
 * requests are counted from 1 in the order the call sends them.
 */
export interface Pacing {
  /** Requests from this one on wait `delayMs` before they leave (to widen a race's window). */
  readonly slowFrom?: number;
  readonly delayMs?: number;
  /** This request fails as a crash would: it never reaches storage. */
  readonly failAt?: number;
}

interface Scope {
  readonly pacing: Pacing;
  readonly sent: { method: string; path: string }[];
}

/**
 * A storage pipeline policy that paces or fails the requests of one call at a time, scoped with
 * AsyncLocalStorage: requests of other calls running at the same moment are not touched, and
 * nothing in it knows how the app lays out its tables (it holds through a rewrite of storage).
 */
export class StoragePacing {
  private readonly scopes = new AsyncLocalStorage<Scope>();

  readonly policy: PipelinePolicy = {
    name: "storagePacing",
    sendRequest: async (request, next) => {
      const scope = this.scopes.getStore();
      if (scope === undefined) return await next(request);
      scope.sent.push(describe(request));
      const number = scope.sent.length;
      const { slowFrom, delayMs = 0, failAt } = scope.pacing;
      if (slowFrom !== undefined && number >= slowFrom && delayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
      if (failAt === number)
        throw new Error(`injected failure of storage request ${number}: ${describeText(request)}`);
      return await next(request);
    },
  };

  /** Runs `call` with its storage requests paced; returns what it answered and the requests it sent. */
  async run<T>(
    pacing: Pacing,
    call: () => Promise<T>,
  ): Promise<{ value: T; sent: { method: string; path: string }[] }> {
    const scope: Scope = { pacing, sent: [] };
    const value = await this.scopes.run(scope, call);
    return { value, sent: scope.sent };
  }
}

function describe(request: PipelineRequest): { method: string; path: string } {
  return { method: request.method, path: decodeURIComponent(new URL(request.url).pathname) };
}

function describeText(request: PipelineRequest): string {
  const { method, path } = describe(request);
  return `${method} ${path}`;
}
