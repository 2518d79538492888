import { randomUUID } from "node:crypto";
import { format } from "node:util";

import type { LogLevel, TriggerMetadata } from "@azure/functions";
import azureFunctions from "@azure/functions";

import { type BindingMetadata, hooksFor, type RegisteredFunction, triggerOf } from "./functionsCore.js";

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
 * handler, postInvocation hooks, and one line: time, function, invocation id, status, duration.
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

  let outcome: InvocationOutcome;
  const hookData: Record<string, unknown> = {};
  const hookContext: Record<string, unknown> = {
    hookData,
    invocationContext: context,
    inputs: [request.input],
    functionCallback: fn.handler,
  };
  try {
    for (const hook of hooksFor("preInvocation")) await hook(hookContext);
    const handler = hookContext.functionCallback as RegisteredFunction["handler"];
    const inputs = hookContext.inputs as unknown[];
    const result = await handler(...inputs, context);
    outcome = { invocationId, context, result };
  } catch (error) {
    outcome = { invocationId, context, result: undefined, error };
  }
  if (hooksFor("postInvocation").length > 0) {
    const post: Record<string, unknown> = { ...hookContext, result: outcome.result, error: outcome.error };
    try {
      for (const hook of hooksFor("postInvocation")) await hook(post);
      outcome = { ...outcome, result: post.result, error: post.error };
    } catch (error) {
      outcome = { ...outcome, error };
    }
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
