import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";

import { getProcess } from "../../functions/processes.js";
import {
  createProcessAs,
  listedEntry,
  MovableClock,
  processPath,
  startTestApp,
  type TestApp,
  users,
} from "../support/app.js";
import { accessOf, auditOf, change, hourMs, inFuture, share, sweep } from "./support.js";

let app: TestApp;
const clock = new MovableClock();

beforeAll(async () => {
  app = await startTestApp({ services: { clock } });
});
afterAll(async () => {
  await app.close();
});
afterEach(() => {
  app.faults.clear();
});

const isBatch = (request: PipelineRequest): boolean =>
  request.method === "POST" && new URL(request.url).pathname.endsWith("/$batch");

async function membersOf(id: string): Promise<Record<string, string>> {
  const process = await app.services.store.read(id);
  return { ...process?.members };
}

describe("the expiry sweep", () => {
  test("revokes an expired role through the write path, audited as the system, and settles its record", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    await sweep();
    expect((await membersOf(id))[users.bob.id]).toBe("viewer");

    clock.advance(hourMs + 1_000);
    await sweep();

    expect((await membersOf(id))[users.bob.id]).toBe("revoked");
    expect(await accessOf(app, "alice", id, users.bob.id)).toBeUndefined();
    expect(await listedEntry(app, "bob", id)).toMatchObject({ myRole: null, accessRevoked: true });
    const last = (await auditOf(app, "alice", id)).at(-1);
    expect(last).toMatchObject({
      operation: "expired",
      actorId: "00000000-0000-0000-0000-000000000000",
      principalId: users.bob.id,
      previousRole: "viewer",
    });
    expect(await app.services.store.read(id).then((process) => process?.expiries)).toBeUndefined();

    // Settled: a second run finds nothing to do and writes no second audit entry.
    const entries = (await auditOf(app, "alice", id)).length;
    await sweep();
    expect((await auditOf(app, "alice", id)).length).toBe(entries);
  });

  test("a role renewed after the sweep read it and before its commit stays: the renewal wins", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.carol.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    clock.advance(hourMs + 1_000);

    const held = app.faults.holdNext(isBatch);
    const sweeping = sweep();
    await held.reached;
    const renewed = inFuture(clock.now(), 24 * hourMs);
    const again = await share(app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.carol.id }],
      expiresAt: renewed,
    });
    expect(again.body.value[0].status).toBe("granted");
    held.release();
    await sweeping;

    expect((await membersOf(id))[users.carol.id]).toBe("coOwner");
    expect(await accessOf(app, "alice", id, users.carol.id)).toMatchObject({
      role: "coOwner",
      expiresAt: renewed,
    });
    expect((await app.call(getProcess, { as: "carol", ...processPath(id) })).status).toBe(200);
    expect(await listedEntry(app, "carol", id)).toMatchObject({ myRole: "coOwner", accessRevoked: false });
    expect((await auditOf(app, "alice", id)).map((entry) => entry.operation)).not.toContain("expired");

    // The renewed expiry has its own record: it is swept when it passes.
    clock.advance(24 * hourMs + 1_000);
    await sweep();
    expect((await membersOf(id))[users.carol.id]).toBe("revoked");
  });

  test("a role changed to another role without expiry between the sweep's read and commit stays", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await share(app, "alice", id, {
      role: "contributor",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    await share(app, "alice", id, { role: "coOwner", recipients: [{ id: users.carol.id }] });
    clock.advance(hourMs - 1_000);
    // Not yet expired: a change that removes the expiry; the old record is still due later.
    await change(app, "alice", id, users.bob.id, { role: "coOwner", expiresAt: null });
    clock.advance(2_000);
    await sweep();
    expect((await membersOf(id))[users.bob.id]).toBe("coOwner");
    expect((await app.call(getProcess, { as: "bob", ...processPath(id) })).status).toBe(200);
  });

  test("a sweep that dies between the holder's list row and the commit is finished by the next one", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.erin.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    clock.advance(hourMs + 1_000);
    app.faults.crashOn(isBatch, 1);
    await sweep();
    expect((await membersOf(id))[users.erin.id]).toBe("viewer");
    // Whatever the crash left, the holder has no access and sees the process as revoked.
    expect(await listedEntry(app, "erin", id)).toMatchObject({ myRole: null, accessRevoked: true });
    await sweep();
    expect((await membersOf(id))[users.erin.id]).toBe("revoked");
    expect((await auditOf(app, "alice", id)).filter((entry) => entry.operation === "expired")).toHaveLength(
      1,
    );
  });

  test("a process deleted before its holder's role expired leaves nothing for the sweep", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    const { deleteProcess } = await import("../../functions/processes.js");
    expect(
      (await app.call(deleteProcess, { method: "DELETE", as: "alice", ...processPath(id) })).status,
    ).toBe(204);
    clock.advance(hourMs + 1_000);
    await sweep();
    await sweep();
    const due = await app.services.store.tables.roleExpiries
      .listEntities({ queryOptions: { filter: `processId eq '${id}'` } })
      .next();
    expect(due.done).toBe(true);
  });
});
