import type { Timer } from "@azure/functions";

import { type RegisteredFunction, triggerOf } from "./functionsCore.js";
import { type HostLog, type InvocationRequest, invoke } from "./invocation.js";
import { parseSchedule, type Schedule } from "./ncrontab.js";
import { resolveBindingExpression } from "./settings.js";

export interface TimerRunnerOptions {
  readonly functions: readonly RegisteredFunction[];
  readonly log: HostLog;
  readonly writeOutputs?: InvocationRequest["writeOutputs"];
}

export interface RunningTimers {
  /** The timer functions and their schedules, as the host reads them. */
  readonly schedules: readonly { functionName: string; schedule: string; runOnStartup: boolean }[];
  stop(): Promise<void>;
}

/** Longest delay setTimeout accepts; longer waits are taken in steps. */
const maxDelayMs = 2 ** 31 - 1;
/** How late an occurrence may fire before the Timer says it is past due. */
const pastDueAfterMs = 1000;

/**
 * Runs timer triggers on their NCRONTAB schedules (UTC). As on Azure, one timer never overlaps
 * itself: the next occurrence is computed when the previous invocation has finished.
 */
export function startTimers(options: TimerRunnerOptions): RunningTimers {
  let stopped = false;
  // A function, not the flag itself, since stop() flips it while a loop awaits.
  const isStopped = (): boolean => stopped;
  const timeouts = new Map<NodeJS.Timeout, () => void>();
  const running = new Set<Promise<unknown>>();
  const schedules: { functionName: string; schedule: string; runOnStartup: boolean }[] = [];

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = setTimeout(() => {
        timeouts.delete(handle);
        resolve();
      }, ms);
      timeouts.set(handle, resolve);
    });
  }

  async function fire(
    fn: RegisteredFunction,
    schedule: Schedule,
    scheduled: Date,
    last: Date | undefined,
  ): Promise<void> {
    const now = new Date();
    const timer: Timer = {
      isPastDue: now.getTime() - scheduled.getTime() > pastDueAfterMs,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: (last ?? new Date(0)).toISOString(),
        next: (schedule.next(now) ?? now).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    const invocation = invoke({
      fn,
      input: timer,
      triggerMetadata: { timerTrigger: timer },
      log: options.log,
      ...(options.writeOutputs === undefined ? {} : { writeOutputs: options.writeOutputs }),
    });
    running.add(invocation);
    await invocation;
    running.delete(invocation);
  }

  async function run(fn: RegisteredFunction, schedule: Schedule, runOnStartup: boolean): Promise<void> {
    let last: Date | undefined;
    if (runOnStartup && !isStopped()) {
      last = new Date();
      await fire(fn, schedule, last, undefined);
    }
    while (!isStopped()) {
      const occurrence = schedule.next(new Date());
      if (occurrence === undefined) {
        options.log(
          `[${new Date().toISOString()}] Timer '${fn.metadata.name}': schedule "${schedule.expression}" never occurs.`,
        );
        return;
      }
      while (!isStopped() && Date.now() < occurrence.getTime()) {
        await wait(Math.min(maxDelayMs, occurrence.getTime() - Date.now()));
      }
      if (isStopped()) return;
      await fire(fn, schedule, occurrence, last);
      last = occurrence;
    }
  }

  const loops: Promise<void>[] = [];
  for (const fn of options.functions) {
    const trigger = triggerOf(fn);
    if (trigger.type !== "timerTrigger") continue;
    const expression = resolveBindingExpression(String(trigger.schedule));
    const schedule = parseSchedule(expression);
    const runOnStartup = trigger.runOnStartup === true;
    schedules.push({ functionName: fn.metadata.name, schedule: expression, runOnStartup });
    loops.push(run(fn, schedule, runOnStartup));
  }

  return {
    schedules,
    stop: async () => {
      stopped = true;
      for (const [handle, resolve] of timeouts) {
        clearTimeout(handle);
        resolve();
      }
      timeouts.clear();
      await Promise.all([...running, ...loops]);
    },
  };
}
