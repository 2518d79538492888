import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { changeRole, listAccess, revokeAccess } from "../../functions/access.js";
import { resendInvitation } from "../../functions/invitations.js";
import { updateProcess } from "../../functions/processes.js";
import { processPath, users } from "../support/app.js";
import { createProcessAs, drain, type InvitationApp, shareAs, startInvitationApp } from "./support.js";

/**
 * Mail bookkeeping never starves a role change (the class of finding 4 of issue 11, where adding
 * recordings bumped the process row's ETag and every revoke lost its race). Role changes commit
 * conditional on the process row only; the ledger (the sender marking sending/sent/failed, the
 * re-send route, the sweeper) writes invitation, `mailed` and role rows, never the process row.
 * So a role change held between its read and its commit while invitations are marked over and
 * over still commits on its first attempt: counted as commits tried, not as time.
 */

let it: InvitationApp;
/** The role-change commits tried: batches that update the process row (only role changes do). */
const commits: string[] = [];

const isBatch = (request: PipelineRequest): boolean => new URL(request.url).pathname.endsWith("/$batch");
const touchesProcessRow = (request: PipelineRequest): boolean =>
  isBatch(request) && typeof request.body === "string" && request.body.includes("RowKey='process')");

const commitCounter: PipelinePolicy = {
  name: "roleChangeCommits",
  sendRequest: async (request, next) => {
    if (touchesProcessRow(request) && typeof request.body === "string") commits.push(request.body);
    return await next(request);
  },
};

beforeAll(async () => {
  it = await startInvitationApp({ storagePolicies: [commitCounter] });
});
afterAll(async () => {
  await it.close();
});

const cooldownMs = 301 * 1000;

function resend(id: string, principalId: string) {
  return it.app.call(resendInvitation, {
    method: "POST",
    as: "alice",
    path: `/api/processes/${id}/access/${principalId}/invitation`,
    params: { id, principalId },
  });
}

/** A process of alice's, shared with bob and carol with invitations, every one delivered. */
async function invitedProcess(): Promise<string> {
  const id = await createProcessAs(it.app, "alice", "taskMining", "Contention");
  const shared = await shareAs(it.app, "alice", id, {
    role: "contributor",
    recipients: [{ id: users.bob.id }, { id: users.carol.id }],
    sendInvitation: true,
  });
  expect(shared.status).toBe(200);
  await drain(it.queue, it.logs);
  return id;
}

/**
 * `rounds` times: past the cooldown, re-send bob's and carol's invitations (each rewrites the
 * role row and adds an invitation), deliver them (claimed as sending, then settled as sent, on
 * the invitation, `mailed` and role rows), and sweep.
 */
async function markInvitations(id: string, rounds: number): Promise<number> {
  let marked = 0;
  for (let round = 0; round < rounds; round++) {
    it.clock.advance(cooldownMs);
    for (const principalId of [users.bob.id, users.carol.id]) {
      expect((await resend(id, principalId)).status).toBe(202);
    }
    const deliveries = await drain(it.queue, it.logs);
    expect(deliveries.filter((delivery) => delivery.error !== undefined)).toEqual([]);
    marked += deliveries.length;
    await it.app.services.invitationSweeper.sweep();
  }
  return marked;
}

/** Runs `change` with its commit held until `meanwhile` is done; the commits it tried. */
async function heldAcross<T>(
  change: () => Promise<T>,
  meanwhile: () => Promise<unknown>,
): Promise<{ result: T; tried: number }> {
  const held = it.app.faults.holdNext(touchesProcessRow);
  commits.length = 0;
  const pending = change();
  // A change answered before it commits (a refusal) would never reach the hold.
  const first = await Promise.race([held.reached.then(() => "held" as const), pending]);
  if (first !== "held") {
    it.app.faults.clear();
    throw new Error(`answered before its commit: ${JSON.stringify(first)}`);
  }
  try {
    await meanwhile();
  } finally {
    held.release();
  }
  const result = await pending;
  return { result, tried: commits.length };
}

describe("invitation bookkeeping and role changes", () => {
  test("a revoke commits on its first attempt while the invitations are re-sent, marked sent and swept five times over", async () => {
    const id = await invitedProcess();
    let marked = 0;
    const { result, tried } = await heldAcross(
      () =>
        it.app.call(revokeAccess, {
          method: "DELETE",
          as: "alice",
          path: `/api/processes/${id}/access/${users.bob.id}`,
          params: { id, principalId: users.bob.id },
        }),
      async () => {
        marked = await markInvitations(id, 5);
      },
    );
    expect(marked).toBe(10);
    expect(result.status).toBe(204);
    expect(tried).toBe(1);
    const access = await it.app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(access.body.value.map((entry: { principalId: string }) => entry.principalId)).not.toContain(
      users.bob.id,
    );
  });

  test("a role change commits on its first attempt while the invitations are marked", async () => {
    const id = await invitedProcess();
    const { result, tried } = await heldAcross(
      () =>
        it.app.call(changeRole, {
          method: "PUT",
          as: "alice",
          path: `/api/processes/${id}/access/${users.carol.id}`,
          params: { id, principalId: users.carol.id },
          body: { role: "coOwner" },
        }),
      () => markInvitations(id, 3),
    );
    expect([result.status, tried]).toEqual([200, 1]);
  });

  test("control: a write of the process row in the same window does send the revoke round again", async () => {
    const id = await invitedProcess();
    const { result, tried } = await heldAcross(
      () =>
        it.app.call(revokeAccess, {
          method: "DELETE",
          as: "alice",
          path: `/api/processes/${id}/access/${users.bob.id}`,
          params: { id, principalId: users.bob.id },
        }),
      async () => {
        const renamed = await it.app.call(updateProcess, {
          method: "PATCH",
          as: "alice",
          ...processPath(id),
          body: { name: "Renamed meanwhile" },
        });
        expect(renamed.status).toBe(200);
      },
    );
    expect(result.status).toBe(204);
    // The rename is a batch on the process row too, so it counts: the revoke tried twice.
    expect(commits.filter((body) => body.includes("DELETE")).length).toBe(2);
    expect(tried).toBeGreaterThanOrEqual(2);
  });
});
