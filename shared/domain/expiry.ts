// Expiring access: a role may carry `expiresAt`; once it has passed, the role is no role. Every
// check compares it with the service clock, so access ends on time whether or not the expiry
// sweep has run yet.

import { BadRequestError } from "../errors.js";
import type { MemberState, Role, StoredProcess } from "./model.js";
import { plan, type PlannedChange } from "./rolePlan.js";

/** What a user holds on a process at a moment. */
export interface Holding {
  /** `expired`: a role whose `expiresAt` has passed (the sweep turns it into `revoked`). */
  readonly state: "owner" | "holder" | "expired" | "revoked" | "none";
  /** The role in force now; null when none is (revoked, expired, never granted). */
  readonly role: Role | null;
  /** The stored role, also when it has expired. */
  readonly storedRole?: Role;
  readonly expiresAt?: string;
}

export function isExpired(expiresAt: string | undefined, now: Date): boolean {
  return expiresAt !== undefined && Date.parse(expiresAt) <= now.getTime();
}

export function holdingOf(process: StoredProcess, userId: string, now: Date): Holding {
  const state: MemberState | undefined = process.members[userId];
  if (state === undefined) return { state: "none", role: null };
  if (state === "revoked") return { state: "revoked", role: null };
  const expiresAt = process.expiries?.[userId];
  const timing = expiresAt === undefined ? {} : { expiresAt };
  if (isExpired(expiresAt, now)) return { state: "expired", role: null, storedRole: state, ...timing };
  return { state: state === "owner" ? "owner" : "holder", role: state, storedRole: state, ...timing };
}

/** The latest expiry accepted: one year from now (the same day and time next year). */
export function latestExpiry(now: Date): Date {
  const latest = new Date(now.getTime());
  latest.setUTCFullYear(latest.getUTCFullYear() + 1);
  return latest;
}

/** Checks a requested expiry against the service clock; returns it normalized (UTC, milliseconds). */
export function checkExpiry(requested: string | null | undefined, now: Date): string | null | undefined {
  if (requested === undefined || requested === null) return requested;
  const at = Date.parse(requested);
  if (Number.isNaN(at)) throw invalidExpiry("expiresAt is not an ISO 8601 date and time.");
  if (at <= now.getTime()) throw invalidExpiry("expiresAt must be in the future.");
  if (at > latestExpiry(now).getTime()) throw invalidExpiry("expiresAt may be at most one year ahead.");
  return new Date(at).toISOString();
}

/** When to send the notice `beforeMs` ahead of `expiresAt` (at once when that has passed); needs an expiry. */
export function noticeTime(
  expiresAt: string | null | undefined,
  beforeMs: number | undefined,
  now: Date,
): string | undefined {
  if (beforeMs === undefined) return undefined;
  if (expiresAt === undefined || expiresAt === null)
    throw invalidExpiry("notifyBeforeExpiry needs an expiresAt to count back from.");
  return new Date(Math.max(now.getTime(), Date.parse(expiresAt) - beforeMs)).toISOString();
}

export function invalidExpiry(detail: string): BadRequestError {
  return new BadRequestError("invalid_expiry", detail);
}

/**
 * The change of one recipient to `to` with its expiry. `requested`: a date sets it, null removes
 * it, undefined keeps the current one (`keep`, a role change) or means none (a share, which states
 * the grant in full). An expired role counts as no role: granting again is a new grant.
 */
export function planExpiring(
  index: number,
  principalId: string,
  process: StoredProcess,
  to: Role,
  requested: string | null | undefined,
  now: Date,
  mode: "share" | "keep",
  noticeAt?: string,
): PlannedChange {
  const holding = holdingOf(process, principalId, now);
  const from: MemberState | undefined =
    holding.state === "expired" ? "revoked" : process.members[principalId];
  const expiresAt =
    requested === undefined ? (mode === "keep" ? holding.expiresAt : undefined) : (requested ?? undefined);
  const base = plan(index, principalId, from, to);
  const changed =
    base.status === "unchanged" && expiresAt !== holding.expiresAt
      ? { ...base, status: "updated" as const, operation: "changed" as const }
      : base;
  if (expiresAt === undefined) return changed;
  return noticeAt === undefined ? { ...changed, expiresAt } : { ...changed, expiresAt, noticeAt };
}
