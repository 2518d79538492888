import { QueueClient } from "@azure/storage-queue";

import type { StorageConfig } from "../config.js";
import type { InvitationMessage, InvitationQueue } from "../ports.js";
import { storageCredential } from "./tables.js";

/** The queue the invitation sender is triggered by; `host.json` decodes its messages as base64. */
export const invitationQueueName = "invitations";

export function createQueueClient(config: StorageConfig, queueName: string): QueueClient {
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
  private ready: Promise<unknown> | undefined;

  constructor(private readonly client: QueueClient) {}

  async enqueue(message: InvitationMessage): Promise<void> {
    this.ready ??= this.client.createIfNotExists().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    await this.client.sendMessage(encodeQueueMessage(message));
  }
}
