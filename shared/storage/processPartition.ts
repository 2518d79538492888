import type { TableEntityResult } from "@azure/data-tables";

import type {
  AuditEntry,
  InvitationStatus,
  Members,
  MemberState,
  OwnershipOffer,
  ProcessKind,
  Role,
  StoredProcess,
} from "../domain/model.js";
import { ConcurrencyError, ValidationError } from "../errors.js";
import { safeKey, statusOf } from "./tables.js";

/**
 * The one module that owns the process partition of the `Processes` table: its keys, its entity
 * shapes, the members codec and the one conflict handler. Every repository that writes into the
 * partition (processes, roles, audit, invitations, recordings) builds its keys here.
 *
 *   Processes      PK = processId   RK = "process"              the process, with its members map
 *                                   RK = "role|{principalId}"    a role row (grant details, invitation status)
 *                                   RK = "audit|{time}|{id}"     the audit trail
 *                                   RK = "invitation|{id}"       a pending invitation for the sender
 *                                   RK = "recording|{id}"        a recording's metadata
 *
 * The process row carries every member's role (`members`), so that one point read both finds
 * the process and authorizes the caller, and every role change is a conditional write on that
 * row: two co-owners changing the same process are serialized by its ETag.
 */

export const processRowKey = "process";
export const rolePrefix = "role|";
export const auditPrefix = "audit|";
export const invitationPrefix = "invitation|";

export function partitionOf(processId: string): string {
  return safeKey(processId);
}

/** The range of one kind of row: `RowKey ge prefix and RowKey lt end`. */
export function rangeEnd(prefix: string): string {
  return prefix.slice(0, -1) + "}";
}

// ---- entity shapes -----------------------------------------------------------------------------

export interface ProcessEntity {
  kind: ProcessKind;
  name: string;
  description: string;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** The members map, split over `members`, `members1`, `members2`... (64 KiB per property). */
  members: string;
  deleting?: boolean;
  /** The pending ownership offer ("" or absent when none: a Merge cannot remove a property). */
  pendingOwnerId?: string;
  pendingOwnerOfferedAt?: string;
  pendingOwnerOfferedBy?: string;
  pendingOwnerInvitationId?: string;
}

/** The process row's properties for an offer, or the empty ones that clear it. */
export function offerProperties(offer: OwnershipOffer | null): Record<string, string> {
  return {
    pendingOwnerId: offer?.principalId ?? "",
    pendingOwnerOfferedAt: offer?.offeredAt ?? "",
    pendingOwnerOfferedBy: offer?.offeredBy ?? "",
    pendingOwnerInvitationId: offer?.invitationId ?? "",
  };
}

/** A role row as stored; the invitation ledger reads and marks its invitation fields. */
export interface RoleEntity {
  role: Role;
  grantedBy: string;
  grantedAt: string;
  invitationId: string;
  invitationStatus: InvitationStatus;
  invitationSentAt?: string;
  invitationFailureReason?: string;
  expiresAt?: string;
}

// ---- the members codec -------------------------------------------------------------------------

const memberCodes: Readonly<Record<MemberState, string>> = {
  owner: "o",
  coOwner: "c",
  contributor: "t",
  viewer: "v",
  revoked: "r",
};
const memberStates = Object.fromEntries(
  Object.entries(memberCodes).map(([state, code]) => [code, state]),
) as Record<string, MemberState>;
/** Characters per property: a string property holds at most 32K UTF-16 characters. */
const chunkLength = 30_000;

/**
 * An expiring role's entry is its code, `@`, and its `expiresAt` (`"v@2026-06-01T00:00:00.000Z"`);
 * entries written before expiries existed (a code alone) read as roles that do not expire.
 */
const expirySeparator = "@";

/** The members map as entity properties: `members` and, when it is long, `members1`, `members2`... */
export function encodeMembers(
  members: Members,
  expiries: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const text = JSON.stringify(
    Object.fromEntries(
      Object.entries(members).map(([id, state]) => {
        const expiresAt = state === "revoked" ? undefined : expiries[id];
        return [id, memberCodes[state] + (expiresAt === undefined ? "" : expirySeparator + expiresAt)];
      }),
    ),
  );
  const properties: Record<string, string> = {};
  for (let index = 0; index * chunkLength < text.length; index++) {
    properties[index === 0 ? "members" : `members${index}`] = text.slice(
      index * chunkLength,
      (index + 1) * chunkLength,
    );
  }
  return properties;
}

function rawMembers(entity: Readonly<Record<string, unknown>>): Record<string, string> {
  let text = "";
  for (let index = 0; ; index++) {
    const chunk = entity[index === 0 ? "members" : `members${index}`];
    if (typeof chunk !== "string") break;
    text += chunk;
  }
  return JSON.parse(text) as Record<string, string>;
}

export function decodeMembers(entity: Readonly<Record<string, unknown>>): Members {
  return decodeEntries(rawMembers(entity)).members;
}

function decodeEntries(raw: Record<string, string>): {
  members: Members;
  expiries: Record<string, string>;
} {
  const members: Record<string, MemberState> = {};
  const expiries: Record<string, string> = {};
  for (const [id, entry] of Object.entries(raw)) {
    const [code = "", expiresAt] = entry.split(expirySeparator, 2);
    members[id] = memberStates[code] ?? "revoked";
    if (expiresAt !== undefined && members[id] !== "revoked") expiries[id] = expiresAt;
  }
  return { members, expiries };
}

export function toProcess(id: string, entity: TableEntityResult<ProcessEntity>): StoredProcess {
  const { members, expiries } = decodeEntries(rawMembers(entity as unknown as Record<string, unknown>));
  return {
    id,
    kind: entity.kind,
    name: entity.name,
    description: entity.description,
    ownerId: entity.ownerId,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
    etag: `"v${entity.version}"`,
    version: entity.version,
    members,
    rowEtag: entity.etag,
    ...(entity.deleting === true && { deleting: true }),
    ...(Object.keys(expiries).length > 0 && { expiries }),
    ...(typeof entity.pendingOwnerId === "string" &&
      entity.pendingOwnerId !== "" && {
        pendingOwner: {
          principalId: entity.pendingOwnerId,
          offeredAt: entity.pendingOwnerOfferedAt ?? "",
          offeredBy: entity.pendingOwnerOfferedBy ?? "",
          invitationId: entity.pendingOwnerInvitationId ?? "",
        },
      }),
  };
}

export function auditEntity(
  audit: AuditEntry,
): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const { id, processId, ...fields } = audit;
  return {
    partitionKey: partitionOf(processId),
    rowKey: `${auditPrefix}${audit.at}|${safeKey(id)}`,
    ...definedOnly(fields),
  };
}

/** Table entities must not carry `undefined` properties. */
export function definedOnly(fields: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

// ---- the one conflict handler --------------------------------------------------------------------

/**
 * A conditional write lost its race: 412 on an ETag, 409 on an insert of a row that exists,
 * 404 on an update of a row deleted meanwhile (the process was deleted under us).
 */
export function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 409 || status === 404;
}

/** Runs a write; a lost race becomes a ConcurrencyError the domain retries or reports. */
export async function conditional<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isConflict(error)) throw new ConcurrencyError(undefined, { cause: error });
    throw error;
  }
}

/**
 * Paging settings for the SDK. Positions come back inside sealed tokens, so they are the
 * service's own; their shape is still checked so that nothing odd ever reaches the SDK.
 */
export function pageSettings(
  top: number,
  position: string | undefined,
): { maxPageSize: number; continuationToken?: string } {
  if (position === undefined) return { maxPageSize: top };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(position, "base64").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const { nextPartitionKey, nextRowKey } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as {
    nextPartitionKey?: unknown;
    nextRowKey?: unknown;
  };
  // The markers are the service's and opaque: Cosmos DB for Table's do not look like keys (they
  // hold `#`, quotes, braces), so they are only checked to be printable header text.
  const marker = (value: unknown) => typeof value === "string" && /^[\x20-\x7e]+$/.test(value);
  if (!marker(nextPartitionKey) || !(nextRowKey === undefined || marker(nextRowKey))) {
    throw new ValidationError([
      { field: "continuationToken", message: "not a continuation token this service issued" },
    ]);
  }
  return { maxPageSize: top, continuationToken: position };
}

/** Ordinal order of row keys, as Table Storage sorts them (Cosmos DB for Table does not sort). */
export function compareKeys(a: string | undefined, b: string | undefined): number {
  const left = a ?? "";
  const right = b ?? "";
  return left < right ? -1 : left > right ? 1 : 0;
}
