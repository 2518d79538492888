import { randomUUID } from "node:crypto";

/**
 * Ids that become PartitionKey/RowKey values. Table Storage forbids `/ \ # ?` and control
 * characters in keys; every id we accept from outside is one of these shapes, checked here.
 */
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return guidPattern.test(value);
}

export function newId(): string {
  return randomUUID();
}

/** Entra object ids and our own ids are GUIDs; we store them lower-cased so that lookups agree. */
export function normalizeId(value: string): string {
  return value.toLowerCase();
}
