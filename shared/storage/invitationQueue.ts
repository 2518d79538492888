import type { QueueClient } from "@azure/storage-queue";

import type { StorageConfig } from "../config.js";
import type { InvitationMessage, InvitationQueue } from "../ports.js";
import { storageCredential } from "./tables.js";

/** The queue the invitation sender is triggered by; `host.json` decodes its messages as base64. */
export const invitationQueueName = "invitations";

/**
 * The queue client: a connection string locally, the queue service URI and managed identity in
 * Azure. The queue SDK is loaded by the first hand-over, not at start: a cold start that serves
 * reads never needs it.
 */
export async function openQueueClient(config: StorageConfig, queueName: string): Promise<QueueClient> {
  const { QueueClient } = await import("@azure/storage-queue");
  if (config.connectionString !== undefined) return new QueueClient(config.connectionString, queueName);
  if (config.queueServiceUri === undefined) throw new Error("Storage__queueServiceUri is not set");
  return new QueueClient(
    `${config.queueServiceUri.replace(/\/+$/, "")}/${queueName}`,
    storageCredential(config),
  );
}

/** Encodes a message the way the Functions host's queue trigger reads it (`messageEncoding: base64`). */
export function encodeQueueMessage(message: unknown): string {
  return Buffer.from(JSON.stringify(message), "utf8").toString("base64");
}

export class StorageInvitationQueue implements InvitationQueue {
  private client: Promise<QueueClient> | undefined;

  constructor(private readonly open: () => Promise<QueueClient>) {}

  async enqueue(message: InvitationMessage): Promise<void> {
    this.client ??= this.open()
      .then(async (client) => {
        await client.createIfNotExists();
        return client;
      })
      .catch((error: unknown) => {
        this.client = undefined;
        throw error;
      });
    await (await this.client).sendMessage(encodeQueueMessage(message));
  }
}
