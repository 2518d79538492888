import { expect } from "vitest";

import { listAccess, revokeAccess, shareProcess } from "../../functions/access.js";
import { getProcess } from "../../functions/processes.js";
import {
  acceptOwnership,
  declineOwnership,
  offerOwnership,
  reassignOwner,
  withdrawOwnershipOffer,
} from "../../functions/transfer.js";
import type { StoredProcess } from "../../shared/domain/model.js";
import { processPath, type TestApp, users } from "../support/app.js";

/** The ownership transfer routes (issue 14), as a client calls them. */
export function transferCalls(app: TestApp) {
  return {
    offer: (as: string, id: string, body: Record<string, unknown>) =>
      app.call(offerOwnership, { method: "POST", as, ...processPath(id, "/transfer"), body }),
    withdraw: (as: string, id: string) =>
      app.call(withdrawOwnershipOffer, { method: "DELETE", as, ...processPath(id, "/transfer") }),
    accept: (as: string, id: string) =>
      app.call(acceptOwnership, { method: "POST", as, ...processPath(id, "/transfer/accept") }),
    decline: (as: string, id: string) =>
      app.call(declineOwnership, { method: "POST", as, ...processPath(id, "/transfer/decline") }),
    reassign: (as: string, id: string, principalId: string) =>
      app.call(reassignOwner, { method: "PUT", as, ...processPath(id, "/owner"), body: { principalId } }),
    share: async (as: string, id: string, role: string, ...who: (keyof typeof users)[]) => {
      const response = await app.call(shareProcess, {
        method: "POST",
        as,
        ...processPath(id, "/access"),
        body: { role, sendInvitation: false, recipients: who.map((alias) => ({ id: users[alias].id })) },
      });
      expect(response.status).toBe(200);
    },
    revoke: (as: string, id: string, principalId: string) =>
      app.call(revokeAccess, {
        method: "DELETE",
        as,
        path: `/api/processes/${id}/access/${principalId}`,
        params: { id, principalId },
      }),
    get: (as: string, id: string) => app.call(getProcess, { as, ...processPath(id) }),
    access: (as: string, id: string) => app.call(listAccess, { as, ...processPath(id, "/access") }),
  };
}

/**
 * Everything stored about who holds what agrees: exactly one owner, the row's `ownerId` is that
 * owner, every role row is the members map's role, and every member's list row says what the
 * members map says. Returns the differences (none when consistent).
 */
export async function disagreements(app: TestApp, processId: string): Promise<string[]> {
  const process = (await app.services.store.read(processId)) as StoredProcess;
  const problems: string[] = [];
  const owners = Object.entries(process.members).filter(([, state]) => state === "owner");
  if (owners.length !== 1 || owners[0]?.[0] !== process.ownerId)
    problems.push(`owners ${JSON.stringify(owners)} but ownerId ${process.ownerId}`);
  const rows = await app.services.store.tables.processes
    .listEntities<{ role: string }>({
      queryOptions: { filter: `PartitionKey eq '${processId}' and RowKey ge 'role|' and RowKey lt 'role}'` },
    })
    .byPage()
    .next();
  const roleRows = new Map<string, string>(
    (rows.done === true ? [] : rows.value).map((row) => [String(row.rowKey).slice(5), row.role]),
  );
  for (const [userId, state] of Object.entries(process.members)) {
    const want = state === "revoked" ? undefined : state;
    if (roleRows.get(userId) !== want)
      problems.push(`role row of ${userId}: ${roleRows.get(userId)}, members map: ${state}`);
    const entity = await app.services.store.tables.userProcesses
      .getEntity<{ role?: string; accessRevoked?: boolean }>(userId, processId)
      .catch(() => undefined);
    const listed = entity === undefined ? "none" : entity.accessRevoked === true ? "revoked" : entity.role;
    if (listed !== state) problems.push(`list row of ${userId}: ${listed}, members map: ${state}`);
  }
  if (roleRows.size !== Object.values(process.members).filter((state) => state !== "revoked").length)
    problems.push(`role rows ${JSON.stringify([...roleRows])} beyond the members map`);
  return problems;
}
