import { randomBytes, randomUUID } from "node:crypto";

import azureFunctions from "@azure/functions";
import { QueueClient } from "@azure/storage-queue";
import { inject } from "vitest";

import { shareProcess } from "../../functions/access.js";
import { sendInvitation } from "../../functions/invitations.js";
import type { ServiceOptions } from "../../shared/composition.js";
import { MovableClock, processPath, startTestApp, type TestApp } from "../support/app.js";
import { startTestMailbox, type TestMailbox } from "../support/mailbox.js";

const { InvocationContext } = azureFunctions;

/** Short waits, so that retries do not slow the run; a Retry-After is still honoured as given. */
export const fastMailTuning = {
  maxAttempts: 2,
  serverErrorBackoffMs: 5,
  pollIntervalMs: 5,
  maxRetryAfterSeconds: 5,
} as const;

export interface InvitationApp {
  readonly app: TestApp;
  readonly mailbox: TestMailbox;
  /** The real Azurite queue this app hands invitations over to (its own, so test files never share one). */
  readonly queue: QueueClient;
  readonly clock: MovableClock;
  readonly logs: string[];
  close(): Promise<void>;
}

export function queueNamed(name: string): QueueClient {
  return new QueueClient(inject("azuriteConnectionString"), name);
}

export async function startInvitationApp(
  services: ServiceOptions = {},
  settings: Record<string, string> = {},
): Promise<InvitationApp> {
  const clock = new MovableClock();
  // The mail service's repeat window runs on the app's clock, so that moving one moves both.
  const mailbox = await startTestMailbox({ repeatNow: () => clock.now() });
  const queue = queueNamed(`invitations-${randomBytes(6).toString("hex")}`);
  await queue.createIfNotExists();
  const logs: string[] = [];
  const app = await startTestApp({
    settings: {
      EMAIL_CONNECTION_STRING: mailbox.connectionString,
      INVITATION_RESEND_COOLDOWN_SECONDS: "300",
      ...settings,
    },
    services: {
      invitationQueue: queue,
      mailTuning: fastMailTuning,
      clock,
      warn: (message, details) => logs.push(`${message} ${JSON.stringify(details)}`),
      ...services,
    },
  });
  return {
    app,
    mailbox,
    queue,
    clock,
    logs,
    close: async () => {
      await app.close();
      await mailbox.close();
      await queue.deleteIfExists();
    },
  };
}

export interface QueueDelivery {
  readonly message: unknown;
  readonly dequeueCount: number;
  readonly error?: unknown;
}

/**
 * Receives the next message from the real queue and runs the queue handler on it as the host
 * does: the decoded message, a real InvocationContext whose trigger metadata carries the
 * message's own dequeue count; deleted on success, visible again at once on failure.
 */
export async function deliverNext(
  queue: QueueClient,
  logs: string[] = [],
): Promise<QueueDelivery | undefined> {
  const received = await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 120 });
  const item = received.receivedMessageItems[0];
  if (item === undefined) return undefined;
  const message = JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")) as unknown;
  try {
    await sendInvitation(message, contextFor(item.messageId, item.dequeueCount, logs));
    await queue.deleteMessage(item.messageId, item.popReceipt);
    return { message, dequeueCount: item.dequeueCount };
  } catch (error) {
    await queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
    return { message, dequeueCount: item.dequeueCount, error };
  }
}

/** Delivers until the queue is empty; the deliveries, in order. */
export async function drain(queue: QueueClient, logs: string[] = []): Promise<QueueDelivery[]> {
  const deliveries: QueueDelivery[] = [];
  for (
    let delivery = await deliverNext(queue, logs);
    delivery !== undefined;
    delivery = await deliverNext(queue, logs)
  ) {
    deliveries.push(delivery);
    if (deliveries.length > 50) throw new Error("The queue does not drain.");
  }
  return deliveries;
}

export function contextFor(
  messageId: string,
  dequeueCount: number,
  logs: string[] = [],
): InstanceType<typeof InvocationContext> {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: "sendInvitation",
    triggerMetadata: { id: messageId, dequeueCount },
    logHandler: (level, ...args) =>
      logs.push(`${level}: ${args.map((arg) => JSON.stringify(arg)).join(" ")}`),
  });
}

export async function peekCount(queue: QueueClient): Promise<number> {
  const peeked = await queue.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.length;
}

export async function shareAs(
  app: TestApp,
  as: string,
  id: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: any }> {
  return await app.call(shareProcess, { method: "POST", as, ...processPath(id, "/access"), body });
}

export { createProcessAs } from "../support/app.js";
