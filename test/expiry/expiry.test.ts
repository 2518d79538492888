import { afterAll, beforeAll, describe, expect, test } from "vitest";

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
import { accessOf, auditOf, change, hourMs, inFuture, share } from "./support.js";

let app: TestApp;
const clock = new MovableClock();

beforeAll(async () => {
  app = await startTestApp({ services: { clock } });
});
afterAll(async () => {
  await app.close();
});

describe("an expiring role", () => {
  test("works until its expiresAt and is no role from then on, with no timer run", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    const expiresAt = inFuture(clock.now(), hourMs);
    const granted = await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      expiresAt,
    });
    expect(granted.status).toBe(200);
    expect((await app.call(getProcess, { as: "bob", ...processPath(id) })).status).toBe(200);
    expect(await listedEntry(app, "bob", id)).toMatchObject({ myRole: "viewer", expiresAt });
    expect(await accessOf(app, "alice", id, users.bob.id)).toMatchObject({ role: "viewer", expiresAt });
    expect((await accessOf(app, "alice", id, users.bob.id)).expired).toBeUndefined();

    clock.advance(hourMs + 1_000);

    const after = await app.call(getProcess, { as: "bob", ...processPath(id) });
    expect([after.status, after.body.code]).toEqual([403, "access_revoked"]);
    expect(await listedEntry(app, "bob", id)).toMatchObject({
      myRole: null,
      accessRevoked: true,
      actions: [],
    });
    expect(await accessOf(app, "alice", id, users.bob.id)).toMatchObject({ expiresAt, expired: true });
  });

  test("an expired co-owner cannot share: the check compares the expiry on the row it commits on", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    await share(app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), 60_000),
    });
    const before = await share(app, "bob", id, { role: "contributor", recipients: [{ id: users.carol.id }] });
    expect(before.status).toBe(200);
    clock.advance(61_000);
    const after = await share(app, "bob", id, { role: "contributor", recipients: [{ id: users.dave.id }] });
    expect([after.status, after.body.code]).toEqual([403, "access_revoked"]);
  });

  test("a change sets, changes, keeps and removes the expiry; a new expiry alone is an update", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, { role: "viewer", recipients: [{ id: users.carol.id }] });
    const first = inFuture(clock.now(), 2 * hourMs);
    const set = await change(app, "alice", id, users.carol.id, { role: "viewer", expiresAt: first });
    expect(set.body.status).toBe("updated");
    expect((await accessOf(app, "alice", id, users.carol.id)).expiresAt).toBe(first);

    const kept = await change(app, "alice", id, users.carol.id, { role: "coOwner" });
    expect(kept.body.status).toBe("updated");
    expect(await accessOf(app, "alice", id, users.carol.id)).toMatchObject({
      role: "coOwner",
      expiresAt: first,
    });

    const same = await change(app, "alice", id, users.carol.id, { role: "coOwner", expiresAt: first });
    expect(same.body.status).toBe("unchanged");

    const removed = await change(app, "alice", id, users.carol.id, { role: "coOwner", expiresAt: null });
    expect(removed.body.status).toBe("updated");
    expect((await accessOf(app, "alice", id, users.carol.id)).expiresAt).toBeUndefined();
    clock.advance(3 * hourMs);
    expect((await app.call(getProcess, { as: "carol", ...processPath(id) })).status).toBe(200);
    expect(await listedEntry(app, "carol", id)).toMatchObject({ myRole: "coOwner", accessRevoked: false });
  });

  test("the audit records the expiry a grant or change set", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    const expiresAt = inFuture(clock.now(), hourMs);
    await share(app, "alice", id, { role: "viewer", recipients: [{ id: users.bob.id }], expiresAt });
    const audit = await auditOf(app, "alice", id);
    expect(audit.at(-1)).toMatchObject({ operation: "granted", principalId: users.bob.id, expiresAt });
  });

  test("an expired holder is granted again by a share, not by a role change", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), 60_000),
    });
    clock.advance(61_000);
    const put = await change(app, "alice", id, users.bob.id, { role: "viewer" });
    expect(put.status).toBe(404);
    const again = await share(app, "alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    expect(again.body.value[0].status).toBe("granted");
    expect((await app.call(getProcess, { as: "bob", ...processPath(id) })).status).toBe(200);
    expect(await accessOf(app, "alice", id, users.bob.id)).not.toHaveProperty("expiresAt");
  });
});

describe("expiry validation", () => {
  const cases: [string, (now: Date) => unknown, number, string][] = [
    ["in the past", (now) => inFuture(now, -1_000), 400, "invalid_expiry"],
    ["now", (now) => now.toISOString(), 400, "invalid_expiry"],
    ["more than a year ahead", (now) => inFuture(now, 367 * 24 * hourMs), 400, "invalid_expiry"],
    ["not a date", () => "next tuesday", 400, "validation_failed"],
    ["a date without a time", () => "2027-01-01", 400, "validation_failed"],
    ["a number", () => 1_900_000_000, 400, "validation_failed"],
  ];

  test.each(cases)(
    "an expiresAt %s is refused on share and on change, storing nothing",
    async (_, value, status, code) => {
      const id = await createProcessAs(app, "alice", "processMining");
      await share(app, "alice", id, { role: "viewer", recipients: [{ id: users.carol.id }] });
      const shared = await share(app, "alice", id, {
        role: "viewer",
        recipients: [{ id: users.bob.id }],
        expiresAt: value(clock.now()),
      });
      expect([shared.status, shared.body.code]).toEqual([status, code]);
      const changed = await change(app, "alice", id, users.carol.id, {
        role: "coOwner",
        expiresAt: value(clock.now()),
      });
      expect([changed.status, changed.body.code]).toEqual([status, code]);
      expect(await accessOf(app, "alice", id, users.bob.id)).toBeUndefined();
      expect(await accessOf(app, "alice", id, users.carol.id)).toMatchObject({ role: "viewer" });
      expect(await accessOf(app, "alice", id, users.carol.id)).not.toHaveProperty("expiresAt");
    },
  );

  test("an expiry just under a year ahead is accepted, with another zone normalized to UTC", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    const at = new Date(clock.now().getTime() + 364 * 24 * hourMs);
    at.setUTCMilliseconds(0);
    const withZone = at.toISOString().replace(".000Z", "+00:00");
    const shared = await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      expiresAt: withZone,
    });
    expect(shared.status).toBe(200);
    expect((await accessOf(app, "alice", id, users.bob.id)).expiresAt).toBe(at.toISOString());
  });

  test("the owner cannot be given an expiry", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    await share(app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    const put = await change(app, "bob", id, users.alice.id, {
      role: "coOwner",
      expiresAt: inFuture(clock.now(), hourMs),
    });
    expect([put.status, put.body.code]).toEqual([400, "cannot_share_with_owner"]);
    const shared = await share(app, "bob", id, {
      role: "coOwner",
      recipients: [{ id: users.alice.id }],
      expiresAt: inFuture(clock.now(), hourMs),
    });
    expect([shared.status, shared.body.code]).toEqual([400, "cannot_share_with_owner"]);
    expect(await accessOf(app, "bob", id, users.alice.id)).not.toHaveProperty("expiresAt");
  });

  test("unknown fields next to expiresAt are still refused", async () => {
    const id = await createProcessAs(app, "alice", "processMining");
    const shared = await share(app, "alice", id, {
      role: "viewer",
      recipients: [{ id: users.bob.id }],
      expiresAt: inFuture(clock.now(), hourMs),
      expiresIn: "P1D",
    });
    expect([shared.status, shared.body.code]).toEqual([400, "validation_failed"]);
  });
});
