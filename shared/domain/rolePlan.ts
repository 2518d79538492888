// How a role change is planned from the members map read, before the one write path commits it.

import { ConflictError } from "../errors.js";
import type { AuditOperation, MemberState, Role, StoredProcess } from "./model.js";
import { maxMemberEntries, maxMembers } from "./model.js";

export type ShareStatus = "granted" | "updated" | "unchanged" | "failed";

/** A planned change for one recipient, decided from the members map that was read. */
export interface PlannedChange {
  readonly index: number;
  readonly principalId: string;
  readonly from: MemberState | undefined;
  readonly to: Role | null;
  readonly status: ShareStatus;
  readonly operation: AuditOperation;
  /** When the new role ends (expiry.ts); absent: it does not. */
  readonly expiresAt?: string;
  /** When to tell the holder their role ends soon (a share's `notifyBeforeExpiry`). */
  readonly noticeAt?: string;
}

/** The members map after the changes; only current holders count toward the limit. */
export function membersAfter(
  process: StoredProcess,
  changes: readonly PlannedChange[],
): Record<string, MemberState> {
  const members: Record<string, MemberState> = { ...process.members };
  for (const change of changes) members[change.principalId] = change.to ?? "revoked";
  const states = Object.values(members);
  const holders = states.filter((state) => state !== "revoked").length;
  const growing = changes.some(
    (change) => change.to !== null && (change.from === undefined || change.from === "revoked"),
  );
  if (growing && (holders > maxMembers || states.length > maxMemberEntries)) {
    throw new ConflictError("too_many_members", `A process can have at most ${maxMembers} people.`);
  }
  return members;
}

/** The change of one recipient to `to`, from the state read. */
export function plan(
  index: number,
  principalId: string,
  from: MemberState | undefined,
  to: Role,
): PlannedChange {
  if (from === to) return { index, principalId, from, to, status: "unchanged", operation: "granted" };
  const isNew = from === undefined || from === "revoked";
  return {
    index,
    principalId,
    from,
    to,
    status: isNew ? "granted" : "updated",
    operation: isNew ? "granted" : "changed",
  };
}
