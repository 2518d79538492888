import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { revokeAccess } from "../../functions/access.js";
import { explainAccess } from "../../functions/access.js";
import { hourMs, inFuture, share } from "../expiry/support.js";
import { createProcessAs, MovableClock, startTestApp, type TestApp, users } from "../support/app.js";
import { transferCalls } from "../transfer/support.js";
import { actionsOf, expectedGrants, type Kind, type Rights, specTable, specText } from "./permissionTable.js";

let app: TestApp;
const clock = new MovableClock();
const all = users as unknown as Record<string, { id: string }>;
const processes: Partial<Record<Kind, string>> = {};
let carolExpires = "";

const kinds: Kind[] = ["taskMining", "processMining"];
/** Who holds what on each process: the states a membership can be in. */
const memberships = [
  { alias: "alice", state: "owner", role: "owner" },
  { alias: "bob", state: "holder", role: "coOwner" },
  { alias: "carol", state: "holder", role: "kindRole" },
  { alias: "erin", state: "expired", role: null },
  { alias: "dave", state: "revoked", role: null },
  { alias: "frank", state: "none", role: null },
] as const;
const rightsCombos: Rights[] = [
  { admin: false, share: false },
  { admin: true, share: false },
  { admin: false, share: true },
  { admin: true, share: true },
];

function roleOf(kind: Kind, role: string | null): string | null {
  return role === "kindRole" ? (kind === "taskMining" ? "contributor" : "viewer") : role;
}

async function explain(as: string | { token: string }, id: string, principalId: string) {
  return await app.call(explainAccess, {
    ...(typeof as === "string" ? { as } : { token: as.token }),
    path: `/api/processes/${id}/access/${principalId}/explain`,
    params: { id, principalId },
  });
}

function tokenFor(alias: string, rights: Rights): Promise<string> {
  const roles = [...(rights.admin ? ["Process.Admin"] : []), ...(rights.share ? ["Process.Share.All"] : [])];
  return app.identity.token(alias, { roles });
}

beforeAll(async () => {
  app = await startTestApp({ services: { clock } });
  for (const kind of kinds) {
    const id = await createProcessAs(app, "alice", kind);
    processes[kind] = id;
    const kindRole = kind === "taskMining" ? "contributor" : "viewer";
    carolExpires = inFuture(clock.now(), 30 * 24 * hourMs);
    await share(app, "alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    await share(app, "alice", id, {
      role: kindRole,
      recipients: [{ id: users.carol.id }],
      expiresAt: carolExpires,
    });
    await share(app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.erin.id }],
      expiresAt: inFuture(clock.now(), 60_000),
    });
    await share(app, "alice", id, { role: kindRole, recipients: [{ id: users.dave.id }] });
    const revoked = await app.call(revokeAccess, {
      method: "DELETE",
      as: "alice",
      path: `/api/processes/${id}/access/${users.dave.id}`,
      params: { id, principalId: users.dave.id },
    });
    expect(revoked.status).toBe(204);
  }
  clock.advance(61_000);
});
afterAll(async () => {
  await app.close();
});

test("the test's copy of the permission table is the SPEC's", () => {
  const spec = specText();
  if (spec !== undefined) expect(spec).toContain(specTable);
  else expect(specTable).toContain("| action |");
});

const cases = kinds.flatMap((kind) =>
  memberships.flatMap((membership) => rightsCombos.map((rights) => ({ kind, ...membership, rights }))),
);

describe("explain about yourself, for every kind, membership and environment right (rights from the token)", () => {
  test.each(cases)("$kind $alias ($state) admin=$rights.admin share=$rights.share", async (c) => {
    const id = processes[c.kind] ?? "";
    const role = roleOf(c.kind, c.role);
    const response = await explain({ token: await tokenFor(c.alias, c.rights) }, id, all[c.alias]?.id ?? "");
    const knows = c.state !== "none" || c.rights.admin || c.rights.share;
    if (!knows) {
      expect([response.status, response.body.code]).toEqual([404, "not_found"]);
      return;
    }
    expect(response.status).toBe(200);
    expect(response.body.environment).toEqual({
      isAdministrator: c.rights.admin,
      hasSharePrivilege: c.rights.share,
      source: "token",
    });
    expect(response.body.membership.state).toBe(c.state);
    expect(response.body.membership.role).toBe(role);
    expect(response.body.actions.map((entry: any) => entry.action)).toEqual(actionsOf(c.kind));
    for (const entry of response.body.actions) {
      const grants = expectedGrants(c.kind, role, c.rights, entry.action);
      if (grants.length > 0) {
        expect(entry.granted, entry.action).toBe(true);
        expect(entry.grants.map((grant: any) => grant.source)).toEqual(grants);
      } else {
        expect(entry.granted, entry.action).toBe(false);
        const denial = { expired: "expired", revoked: "revoked", none: "noRole" }[c.state as string];
        // A role in force never includes accepting ownership: no offer names them here.
        const holding = entry.action === "acceptOwnership" ? "noOffer" : "roleDoesNotInclude";
        expect(entry.denial, entry.action).toBe(denial ?? holding);
      }
    }
  });
});

describe("explain about someone else", () => {
  test.each(kinds)(
    "on %s, rights come from the directory: dave the administrator, frank the share privilege, hank through a group",
    async (kind) => {
      const id = processes[kind] ?? "";
      const expected: [string, Rights, string][] = [
        ["dave", { admin: true, share: false }, "revoked"],
        ["frank", { admin: false, share: true }, "none"],
        ["hank", { admin: true, share: false }, "none"],
        ["bob", { admin: false, share: false }, "holder"],
      ];
      for (const [alias, rights, state] of expected) {
        const response = await explain("alice", id, all[alias]?.id ?? "");
        expect(response.status).toBe(200);
        expect(response.body.environment).toEqual({
          isAdministrator: rights.admin,
          hasSharePrivilege: rights.share,
          source: "directory",
        });
        expect(response.body.membership.state).toBe(state);
        const role = alias === "bob" ? "coOwner" : null;
        for (const entry of response.body.actions) {
          expect(entry.granted, `${alias} ${entry.action}`).toBe(
            expectedGrants(kind, role, rights, entry.action).length > 0,
          );
        }
      }
    },
  );

  test("a role's grant carries its expiry; an app role's grant names the app role", async () => {
    const id = processes.processMining ?? "";
    const carol = await explain("alice", id, users.carol.id);
    expect(carol.body.membership).toEqual({
      state: "holder",
      role: "viewer",
      storedRole: "viewer",
      expiresAt: carolExpires,
    });
    expect(carol.body.actions[0]).toEqual({
      action: "read",
      granted: true,
      grants: [{ source: "role", role: "viewer", expiresAt: carolExpires }],
    });
    const frank = await explain("alice", id, users.frank.id);
    const shareEntry = frank.body.actions.find((entry: any) => entry.action === "share");
    expect(shareEntry.grants).toEqual([{ source: "sharePrivilege", appRole: "Process.Share.All" }]);
    const erin = await explain("alice", id, users.erin.id);
    expect(erin.body.membership).toMatchObject({ state: "expired", role: null, storedRole: "coOwner" });
  });

  test("needs viewAccess: a viewer or contributor is refused, a stranger is told nothing, a revoked holder is told so", async () => {
    for (const kind of kinds) {
      const id = processes[kind] ?? "";
      const carol = await explain("carol", id, users.bob.id);
      expect([carol.status, carol.body.code]).toEqual([403, "forbidden"]);
      const stranger = await explain(
        { token: await tokenFor("hank", { admin: false, share: false }) },
        id,
        users.bob.id,
      );
      expect([stranger.status, stranger.body.code]).toEqual([404, "not_found"]);
      const dave = await explain(
        { token: await tokenFor("dave", { admin: false, share: false }) },
        id,
        users.bob.id,
      );
      expect([dave.status, dave.body.code]).toEqual([403, "access_revoked"]);
      const erin = await explain("erin", id, users.bob.id);
      expect([erin.status, erin.body.code]).toEqual([403, "access_revoked"]);
    }
    // A share right alone is not viewAccess on task mining; the administrator's is on process mining.
    const sharer = { token: await tokenFor("frank", { admin: false, share: true }) };
    expect((await explain(sharer, processes.taskMining ?? "", users.bob.id)).status).toBe(403);
    const admin = { token: await tokenFor("hank", { admin: true, share: false }) };
    expect((await explain(admin, processes.taskMining ?? "", users.bob.id)).status).toBe(403);
    expect((await explain(admin, processes.processMining ?? "", users.bob.id)).status).toBe(200);
  });

  test("a process that does not exist is 404; a principal id that is not a GUID is 400", async () => {
    const missing = await explain("alice", "00000000-0000-4000-8000-000000000999", users.bob.id);
    expect([missing.status, missing.body.code]).toEqual([404, "not_found"]);
    const bad = await explain("alice", processes.processMining ?? "", "bob");
    expect([bad.status, bad.body.code]).toEqual([400, "validation_failed"]);
  });

  test("costs one storage round trip (the process row), about anyone", async () => {
    app.roundTrips.reset();
    await explain("alice", processes.processMining ?? "", users.bob.id);
    expect(app.roundTrips.kinds()).toEqual(["GET point"]);
    app.roundTrips.reset();
    await explain("bob", processes.processMining ?? "", users.bob.id);
    expect(app.roundTrips.kinds()).toEqual(["GET point"]);
  });
});

describe("explain and ownership transfer (issue 14)", () => {
  test("acceptOwnership is granted by the pending offer, named with its time and maker, only while the role is in force", async () => {
    const id = await createProcessAs(app, "alice", "taskMining");
    const ends = inFuture(clock.now(), hourMs);
    await share(app, "alice", id, {
      role: "contributor",
      recipients: [{ id: users.bob.id }],
      expiresAt: ends,
    });
    await share(app, "alice", id, { role: "contributor", recipients: [{ id: users.carol.id }] });
    const offered = await transferCalls(app).offer("alice", id, {
      principalId: users.bob.id,
      sendInvitation: false,
    });
    expect(offered.status).toBe(200);

    const accept = (body: any) => body.actions.find((entry: any) => entry.action === "acceptOwnership");
    const bob = await explain("alice", id, users.bob.id);
    expect(accept(bob.body)).toEqual({
      action: "acceptOwnership",
      granted: true,
      grants: [{ source: "pendingOwner", offeredAt: offered.body.offeredAt, offeredBy: users.alice.id }],
    });
    // The rest of bob's actions are what the table (and the transfer rules) give a contributor.
    for (const entry of bob.body.actions)
      expect(entry.granted, entry.action).toBe(
        expectedGrants("taskMining", "contributor", { admin: false, share: false }, entry.action, true)
          .length > 0,
      );
    expect(accept((await explain("alice", id, users.carol.id)).body)).toEqual({
      action: "acceptOwnership",
      granted: false,
      denial: "noOffer",
    });
    const alice = await explain("alice", id, users.alice.id);
    const transfer = alice.body.actions.find((entry: any) => entry.action === "transferOwnership");
    expect(transfer).toEqual({ action: "transferOwnership", granted: true, grants: [{ source: "owner" }] });

    // The offer still waits on the row, but an expired role is no role: the offer grants nothing.
    clock.advance(hourMs + 1_000);
    expect(accept((await explain("alice", id, users.bob.id)).body)).toEqual({
      action: "acceptOwnership",
      granted: false,
      denial: "expired",
    });
  });

  test("reassignOwnership comes from the administrator app role, on both kinds", async () => {
    for (const kind of kinds) {
      const dave = await explain("alice", processes[kind] ?? "", users.dave.id);
      const reassign = dave.body.actions.find((entry: any) => entry.action === "reassignOwnership");
      expect(reassign).toEqual({
        action: "reassignOwnership",
        granted: true,
        grants: [{ source: "administrator", appRole: "Process.Admin" }],
      });
    }
  });
});
