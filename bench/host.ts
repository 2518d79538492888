import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface HostStartRequest {
  readonly port: number;
  readonly connectionString: string;
  readonly settings: Readonly<Record<string, string>>;
}

export type HostMessage =
  | { readonly type: "ready"; readonly url: string; readonly port: number }
  | {
      readonly type: "rss";
      readonly rss: number;
      readonly heapAfterGc: number;
      readonly errors: readonly string[];
    };

export interface BenchHost {
  /** `http://127.0.0.1:{port}`: loopback by address, so no lookup of `localhost` is measured. */
  readonly url: string;
  readonly port: number;
  /** The host process's resident set size, in bytes, and the failure lines it logged. */
  rss(): Promise<{ rss: number; heapAfterGc: number; errors: readonly string[] }>;
  stop(): Promise<void>;
}

/** Starts `hostProcess.js` and waits until it serves. */
export async function startBenchHost(request: HostStartRequest): Promise<BenchHost> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL("hostProcess.js", import.meta.url)),
    [JSON.stringify(request)],
    { execArgv: ["--expose-gc"] },
  );
  const next = <T extends HostMessage["type"]>(type: T, timeoutMs: number) =>
    new Promise<Extract<HostMessage, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off("message", listener);
        reject(new Error(`the bench host did not answer "${type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const listener = (message: HostMessage) => {
        if (message.type !== type) return;
        clearTimeout(timer);
        child.off("message", listener);
        resolve(message as Extract<HostMessage, { type: T }>);
      };
      child.on("message", listener);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the bench host exited (${code})`));
      });
    });
  let ready: Extract<HostMessage, { type: "ready" }>;
  try {
    ready = await next("ready", 60_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url: `http://127.0.0.1:${ready.port}`,
    port: ready.port,
    rss: async () => {
      const answer = next("rss", 10_000);
      child.send({ type: "rss" });
      const { rss, heapAfterGc, errors } = await answer;
      return { rss, heapAfterGc, errors };
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) =>
        child.once("exit", () => {
          resolve();
        }),
      );
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.send({ type: "stop" });
      await exited;
      clearTimeout(timer);
    },
  };
}
