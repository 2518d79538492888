import { type DequeuedMessageItem, type QueueClient, QueueServiceClient } from "@azure/storage-queue";

import { type BindingMetadata, type RegisteredFunction, triggerOf } from "./functionsCore.js";
import { type HostLog, type InvocationOutcome, invoke } from "./invocation.js";
import { type QueueSettings, resolveBindingExpression, resolveStorageConnection } from "./settings.js";

/**
 * Storage queue triggers as the Functions host runs them: poll with host.json's queue
 * settings, lease each message while its function runs, delete it on success, make it visible
 * again after `visibilityTimeout` on failure, and move it to `<queue>-poison` after
 * `maxDequeueCount` attempts.
 */

export interface QueueRunnerOptions {
  readonly functions: readonly RegisteredFunction[];
  readonly settings: QueueSettings;
  readonly log: HostLog;
  readonly env?: NodeJS.ProcessEnv;
  readonly writeOutputs?: (fn: RegisteredFunction, outcome: InvocationOutcome) => Promise<void>;
}

export interface RunningQueues {
  readonly queues: readonly { functionName: string; queueName: string; connection: string }[];
  stop(): Promise<void>;
}

/** How long a message stays invisible while its function runs (the host's lease). */
const leaseSeconds = 600;
const minPollingIntervalMs = 100;

const clients = new Map<string, QueueServiceClient>();

function serviceClient(connectionString: string): QueueServiceClient {
  let client = clients.get(connectionString);
  if (client === undefined) {
    client = QueueServiceClient.fromConnectionString(connectionString);
    clients.set(connectionString, client);
  }
  return client;
}

export function queueClientFor(binding: BindingMetadata, env: NodeJS.ProcessEnv = process.env): QueueClient {
  const connection = resolveStorageConnection(
    typeof binding.connection === "string" ? binding.connection : undefined,
    env,
  );
  const queueName = resolveBindingExpression(String(binding.queueName), env).toLowerCase();
  return serviceClient(connection).getQueueClient(queueName);
}

export function encodeMessage(text: string, encoding: QueueSettings["messageEncoding"]): string {
  return encoding === "base64" ? Buffer.from(text, "utf8").toString("base64") : text;
}

export class MessageDecodingError extends Error {
  override readonly name = "MessageDecodingError";
}

/** The message as the worker hands it to the function: JSON when it parses, else the text. */
export function decodeMessage(raw: string, encoding: QueueSettings["messageEncoding"]): unknown {
  let text = raw;
  if (encoding === "base64") {
    if (raw.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) {
      throw new MessageDecodingError(
        "The message is not valid base64 (host.json extensions.queues.messageEncoding is base64).",
      );
    }
    text = Buffer.from(raw, "base64").toString("utf8");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Writes queue output bindings (`$return` or extra outputs of type `queue`) after a success. */
export function queueOutputWriter(
  settings: QueueSettings,
  env: NodeJS.ProcessEnv = process.env,
): (fn: RegisteredFunction, outcome: InvocationOutcome) => Promise<void> {
  return async (fn, outcome) => {
    for (const binding of Object.values(fn.metadata.bindings)) {
      if (binding.direction !== "out" || binding.type !== "queue") continue;
      const value: unknown =
        binding.name === fn.metadata.bindings.$return?.name
          ? outcome.result
          : outcome.context.extraOutputs.get(binding.name);
      if (value === undefined || value === null) continue;
      const client = queueClientFor(binding, env);
      await client.createIfNotExists();
      for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
        const text =
          typeof item === "string"
            ? item
            : Buffer.isBuffer(item)
              ? item.toString("utf8")
              : JSON.stringify(item);
        await client.sendMessage(encodeMessage(text, settings.messageEncoding));
      }
    }
  };
}

export async function startQueueTriggers(options: QueueRunnerOptions): Promise<RunningQueues> {
  const env = options.env ?? process.env;
  const { settings, log } = options;
  let stopped = false;
  const sleepers = new Set<() => void>();
  const inFlight = new Set<Promise<void>>();
  const loops: Promise<void>[] = [];
  const queues: { functionName: string; queueName: string; connection: string }[] = [];

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(handle);
        sleepers.delete(wake);
        resolve();
      };
      const handle = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  }

  async function moveToPoison(
    queue: QueueClient,
    poison: QueueClient,
    message: DequeuedMessageItem,
  ): Promise<void> {
    await poison.sendMessage(message.messageText);
    await queue.deleteMessage(message.messageId, message.popReceipt);
  }

  async function processMessage(
    fn: RegisteredFunction,
    queue: QueueClient,
    poison: QueueClient,
    message: DequeuedMessageItem,
  ): Promise<void> {
    if (message.dequeueCount > settings.maxDequeueCount) {
      log(
        `[${new Date().toISOString()}] Message ${message.messageId} of '${queue.name}' was dequeued ${message.dequeueCount} times: moved to '${poison.name}'.`,
      );
      await moveToPoison(queue, poison, message);
      return;
    }
    let input: unknown;
    let decodingError: Error | undefined;
    try {
      input = decodeMessage(message.messageText, settings.messageEncoding);
    } catch (error) {
      decodingError = error instanceof Error ? error : new MessageDecodingError(String(error));
    }
    const triggerMetadata = {
      id: message.messageId,
      queueTrigger: typeof input === "string" ? input : message.messageText,
      dequeueCount: message.dequeueCount,
      insertionTime: message.insertedOn.toISOString(),
      expirationTime: message.expiresOn.toISOString(),
      nextVisibleTime: message.nextVisibleOn.toISOString(),
      popReceipt: message.popReceipt,
    };
    const fnToRun: RegisteredFunction =
      decodingError === undefined
        ? fn
        : {
            metadata: fn.metadata,
            handler: () => {
              throw decodingError;
            },
          };
    await invoke({
      fn: fnToRun,
      input,
      triggerMetadata,
      log,
      ...(options.writeOutputs === undefined ? {} : { writeOutputs: options.writeOutputs }),
      describe: (outcome) =>
        `queue '${queue.name}' message ${message.messageId} dequeueCount=${message.dequeueCount}${outcome.error === undefined ? "" : message.dequeueCount >= settings.maxDequeueCount ? ` → '${poison.name}'` : " → retry"}`,
      complete: async (outcome) => {
        if (outcome.error === undefined) {
          await queue.deleteMessage(message.messageId, message.popReceipt);
        } else if (message.dequeueCount >= settings.maxDequeueCount || decodingError !== undefined) {
          await moveToPoison(queue, poison, message);
        } else {
          await queue.updateMessage(
            message.messageId,
            message.popReceipt,
            undefined,
            Math.round(settings.visibilityTimeoutMs / 1000),
          );
        }
        return outcome;
      },
    });
  }

  async function poll(fn: RegisteredFunction, queue: QueueClient, poison: QueueClient): Promise<void> {
    let interval = minPollingIntervalMs;
    const running = new Set<Promise<void>>();
    while (!stopped) {
      if (running.size > settings.newBatchThreshold) {
        await Promise.race(running);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const response = await queue.receiveMessages({
          numberOfMessages: Math.min(32, settings.batchSize),
          visibilityTimeout: leaseSeconds,
        });
        messages = response.receivedMessageItems;
      } catch (error) {
        log(
          `[${new Date().toISOString()}] Polling '${queue.name}' for '${fn.metadata.name}' failed: ${(error as Error).message}`,
        );
      }
      for (const message of messages) {
        const task = processMessage(fn, queue, poison, message).catch((error: unknown) => {
          log(
            `[${new Date().toISOString()}] Settling message ${message.messageId} of '${queue.name}' failed: ${(error as Error).message}`,
          );
        });
        const tracked = task.finally(() => {
          running.delete(tracked);
          inFlight.delete(tracked);
        });
        running.add(tracked);
        inFlight.add(tracked);
      }
      if (messages.length > 0) {
        interval = minPollingIntervalMs;
        continue;
      }
      await sleep(interval);
      interval = Math.min(settings.maxPollingIntervalMs, interval * 2);
    }
  }

  for (const fn of options.functions) {
    const trigger = triggerOf(fn);
    if (trigger.type !== "queueTrigger") continue;
    const queue = queueClientFor(trigger, env);
    const poison = serviceClient(
      resolveStorageConnection(typeof trigger.connection === "string" ? trigger.connection : undefined, env),
    ).getQueueClient(`${queue.name}-poison`);
    await queue.createIfNotExists();
    await poison.createIfNotExists();
    queues.push({
      functionName: fn.metadata.name,
      queueName: queue.name,
      connection:
        typeof trigger.connection === "string" && trigger.connection !== ""
          ? trigger.connection
          : "AzureWebJobsStorage",
    });
    loops.push(poll(fn, queue, poison));
  }

  return {
    queues,
    stop: async () => {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await Promise.all(loops);
      await Promise.all([...inFlight]);
    },
  };
}
