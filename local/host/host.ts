import { existsSync } from "node:fs";

import { loadFunctionApp, type RegisteredFunction, runAppHooks } from "./functionsCore.js";
import { type ExtraRoute, type HttpRoute, startHttpHost } from "./httpServer.js";
import { consoleLog, type HostLog } from "./invocation.js";
import { queueOutputWriter, type RunningQueues, startQueueTriggers } from "./queueRunner.js";
import { readHostSettings } from "./settings.js";
import { type RunningTimers, startTimers } from "./timerRunner.js";

/** The local Functions host: one function app, its HTTP, queue and timer triggers. */

export class MissingBuildError extends Error {
  override readonly name = "MissingBuildError";
  constructor(readonly entry: string) {
    super(`${entry} does not exist: run npm run build first.`);
  }
}

export interface FunctionsHostOptions {
  /** Where host.json lives. */
  readonly appRoot: string;
  /** The app's entry module (package.json `main`), e.g. dist/bundle/index.js. */
  readonly entry: string;
  readonly port: number;
  readonly host?: string;
  readonly log?: HostLog;
  readonly corsAllowedOrigins?: readonly string[];
  readonly maxRequestBodyBytes?: number;
  readonly extraRoutes?: readonly ExtraRoute[];
  /** Where connection and `%SETTING%` names are looked up; process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningFunctionsHost {
  readonly url: string;
  readonly port: number;
  readonly functions: readonly RegisteredFunction[];
  readonly httpRoutes: readonly HttpRoute[];
  readonly queues: RunningQueues["queues"];
  readonly timers: RunningTimers["schedules"];
  stop(): Promise<void>;
}

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<RunningFunctionsHost> {
  const log = options.log ?? consoleLog;
  const env = options.env ?? process.env;
  if (!existsSync(options.entry)) throw new MissingBuildError(options.entry);
  const settings = readHostSettings(options.appRoot);
  const functions = await loadFunctionApp(options.entry, { appRoot: options.appRoot });
  const writeOutputs = queueOutputWriter(settings.queues, env);

  const http = await startHttpHost({
    functions,
    routePrefix: settings.routePrefix,
    port: options.port,
    log,
    writeOutputs,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.corsAllowedOrigins === undefined ? {} : { corsAllowedOrigins: options.corsAllowedOrigins }),
    ...(options.maxRequestBodyBytes === undefined
      ? {}
      : { maxRequestBodyBytes: options.maxRequestBodyBytes }),
    ...(options.extraRoutes === undefined ? {} : { extraRoutes: options.extraRoutes }),
  });
  let queues: RunningQueues | undefined;
  let timers: RunningTimers | undefined;
  try {
    queues = await startQueueTriggers({ functions, settings: settings.queues, log, env, writeOutputs });
    timers = startTimers({ functions, log, writeOutputs });
  } catch (error) {
    await queues?.stop();
    await http.close();
    throw error;
  }
  const runningQueues = queues;
  const runningTimers = timers;

  let stopping: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    functions,
    httpRoutes: http.routes,
    queues: runningQueues.queues,
    timers: runningTimers.schedules,
    stop: () => {
      stopping ??= (async () => {
        await http.close();
        await Promise.all([runningQueues.stop(), runningTimers.stop()]);
        await runAppHooks("appTerminate");
      })();
      return stopping;
    },
  };
}
