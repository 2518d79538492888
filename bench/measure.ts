import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What the load generator is asked to do (see load.ts). */
export type LoadSpec =
  | {
      readonly kind: "http";
      readonly url: string;
      readonly connections: number;
      readonly durationSeconds?: number;
      readonly amount?: number;
      /** Rotated through, one after another across all connections. */
      readonly requests: readonly {
        readonly method: string;
        readonly path: string;
        readonly headers: Record<string, string>;
        readonly body?: string;
      }[];
    }
  | {
      readonly kind: "raw";
      readonly connectionString: string;
      readonly table: string;
      readonly partitionKey: string;
      readonly rowKey: string;
      readonly connections: number;
      readonly durationSeconds?: number;
      readonly amount?: number;
    };

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Milliseconds, from every response's own time (not a histogram rounded to whole ms). */
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statuses: Readonly<Record<string, number>>;
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export function summarize(
  times: number[],
  seconds: number,
  counts: Pick<LoadResult, "errors" | "timeouts" | "non2xx" | "statuses">,
): LoadResult {
  const sorted = times.sort((a, b) => a - b);
  const total = sorted.reduce((sum, time) => sum + time, 0);
  return {
    requests: sorted.length,
    seconds,
    perSecond: sorted.length / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    ...counts,
  };
}

const benchDir = fileURLToPath(new URL(".", import.meta.url));

/**
 * Runs one of the bench's child scripts (compiled next to this file), sends it its argument and
 * resolves with the first message it sends back; killed if it outlives `timeoutMs`.
 */
export async function runChild<T>(script: string, argument: unknown, timeoutMs: number): Promise<T> {
  const child = fork(`${benchDir}${script}`, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  // Over IPC, not argv: a share workload carries a token per request, past argv's size limit.
  child.send(argument as object);
  return await new Promise<T>((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once("message", (message) => {
      answered = true;
      clearTimeout(timer);
      resolve(message as T);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!answered) reject(new Error(`${script} exited (${code}) without an answer`));
    });
  });
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const seconds = spec.amount === undefined ? (spec.durationSeconds ?? 10) : 300;
  return await runChild<LoadResult>("load.js", spec, (seconds + 30) * 1000);
}

/** In a child script: the argument `runChild` sent. */
export async function childArgument<T>(): Promise<T> {
  return await new Promise<T>((resolve) => {
    process.once("message", (message) => {
      resolve(message as T);
    });
  });
}
