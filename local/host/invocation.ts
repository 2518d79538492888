import { randomUUID } from "node:crypto";
import { format } from "node:util";

import type { LogLevel, TriggerMetadata } from "@azure/functions";
import azureFunctions from "@azure/functions";

import {
  appHookData,
  type BindingMetadata,
  hooksFor,
  type RegisteredFunction,
  triggerOf,
} from "./functionsCore.js";

const { InvocationContext } = azureFunctions;
type InvocationContextType = InstanceType<typeof InvocationContext>;

/** Where the host writes: one line per invocation, plus the functions' own logs. */
export interface HostLog {
  (line: string): void;
}

export const consoleLog: HostLog = (line) => {
  process.stdout.write(`${line}\n`);
};

export interface InvocationOutcome {
  readonly invocationId: string;
  readonly context: InvocationContextType;
  readonly result: unknown;
  readonly error?: unknown;
}

export interface InvocationRequest {
  readonly fn: RegisteredFunction;
  /** The trigger's value: an HttpRequest, a queue message, a Timer. */
  readonly input: unknown;
  readonly triggerMetadata: TriggerMetadata;
  readonly log: HostLog;
  /** What the invocation line says after the status, e.g. `GET /api/x 200`. */
  readonly describe?: (outcome: InvocationOutcome) => string;
  /** Whether the outcome counts as failed beyond a thrown error (an HTTP 5xx, say). */
  readonly failed?: (outcome: InvocationOutcome) => boolean;
  /** Writes output bindings the host handles (queue outputs) after the handler succeeded. */
  readonly writeOutputs?: (fn: RegisteredFunction, outcome: InvocationOutcome) => Promise<void>;
  /** Delivers the outcome (writes the HTTP response, settles the queue message) before the line is logged. */
  readonly complete?: (outcome: InvocationOutcome) => Promise<InvocationOutcome>;
}

/**
 * One invocation as the worker runs it: a fresh InvocationContext, preInvocation hooks, the
 * handler, postInvocation hooks (which may replace the result or the error), and one line:
 * time, function, invocation id, status, duration.
 * Never throws: the error is in the outcome.
 */
export async function invoke(request: InvocationRequest): Promise<InvocationOutcome> {
  const { fn, log } = request;
  const invocationId = randomUUID();
  const functionName = fn.metadata.name;
  const started = performance.now();
  const bindings = Object.values(fn.metadata.bindings);
  const context = new InvocationContext({
    invocationId,
    functionName,
    triggerMetadata: request.triggerMetadata,
    options: {
      trigger: triggerOf(fn),
      return: fn.metadata.bindings.$return,
      extraInputs: bindings.filter((b) => b.direction === "in" && b !== triggerOf(fn)),
      extraOutputs: bindings.filter((b) => b.direction === "out" && b.name !== "$return"),
    },
    logHandler: (level: LogLevel, ...args: unknown[]) => {
      log(`[${new Date().toISOString()}] [${functionName}] [${invocationId}] ${level}: ${format(...args)}`);
    },
  });

  // The contexts the worker builds (InvocationHandler): one `hookData` per invocation, shared by its
  // pre- and post-invocation hooks, and the app's `appHookData`; both read-only, like the context.
  const hookData: Record<string, unknown> = {};
  const shared = (target: Record<string, unknown>): Record<string, unknown> => {
    for (const [name, value] of [
      ["hookData", hookData],
      ["appHookData", appHookData()],
      ["invocationContext", context],
    ] as const) {
      Object.defineProperty(target, name, {
        enumerable: true,
        get: () => value,
        set: () => {
          throw new TypeError(`Cannot assign to read only property '${name}'`);
        },
      });
    }
    return target;
  };
  const pre = shared({ inputs: [request.input], functionCallback: fn.handler });

  let outcome: InvocationOutcome;
  try {
    // A failing preInvocation hook fails the invocation: neither the handler nor postInvocation runs.
    for (const hook of hooksFor("preInvocation")) await hook(pre);
    const handler = pre.functionCallback as RegisteredFunction["handler"];
    const inputs = pre.inputs as unknown[];
    const post = shared({ inputs, result: null, error: null });
    try {
      post.result = await handler(...inputs, context);
    } catch (error) {
      post.error = error;
    }
    for (const hook of hooksFor("postInvocation")) await hook(post);
    outcome =
      post.error === null || post.error === undefined
        ? { invocationId, context, result: post.result }
        : { invocationId, context, result: undefined, error: post.error };
  } catch (error) {
    outcome = { invocationId, context, result: undefined, error };
  }
  if (outcome.error === undefined && request.writeOutputs !== undefined) {
    try {
      await request.writeOutputs(fn, outcome);
    } catch (error) {
      outcome = { ...outcome, error };
    }
  }
  if (outcome.error !== undefined) {
    context.error(
      outcome.error instanceof Error ? (outcome.error.stack ?? outcome.error.message) : outcome.error,
    );
  }

  if (request.complete !== undefined) {
    try {
      outcome = await request.complete(outcome);
    } catch (error) {
      context.error(error instanceof Error ? (error.stack ?? error.message) : error);
      outcome = { ...outcome, error };
    }
  }

  const failed = outcome.error !== undefined || (request.failed?.(outcome) ?? false);
  const duration = Math.round(performance.now() - started);
  const detail = request.describe === undefined ? "" : ` ${request.describe(outcome)}`;
  log(
    `[${new Date().toISOString()}] Executed '${functionName}' (${failed ? "Failed" : "Succeeded"}, Id=${invocationId}, Duration=${duration}ms)${detail}`,
  );
  return outcome;
}

/** Output bindings of a given type (for `$return` and extra outputs the host writes itself). */
export function outputBindings(fn: RegisteredFunction, type: string): BindingMetadata[] {
  return Object.values(fn.metadata.bindings).filter(
    (binding) => binding.direction === "out" && binding.type.toLowerCase() === type.toLowerCase(),
  );
}
