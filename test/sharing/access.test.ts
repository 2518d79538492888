import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { changeRole, listAccess, revokeAccess, shareProcess } from "../../functions/access.js";
import { getProcess, updateProcess } from "../../functions/processes.js";
import {
  createProcessAs,
  groupId,
  listedEntry,
  processPath,
  startTestApp,
  type TestApp,
  users,
} from "../support/app.js";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

function create(as: string, kind: "taskMining" | "processMining"): Promise<string> {
  return createProcessAs(app, as, kind);
}

function share(as: string, id: string, body: Record<string, unknown>) {
  return app.call(shareProcess, {
    method: "POST",
    as,
    ...processPath(id, "/access"),
    body: { sendInvitation: false, ...body },
  });
}

function listed(as: string, id: string): Promise<any> {
  return listedEntry(app, as, id);
}

describe("share", () => {
  test("an owner shares a task mining process with a co-owner and a contributor; both see it in their lists", async () => {
    const id = await create("alice", "taskMining");
    const first = await share("alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    const second = await share("alice", id, {
      role: "contributor",
      recipients: [{ email: "carol@contoso.example" }],
    });
    expect(first.status).toBe(200);
    expect(first.body.value).toEqual([
      { recipient: { id: users.bob.id }, principalId: users.bob.id, status: "granted" },
    ]);
    expect(second.body.value[0]).toMatchObject({ principalId: users.carol.id, status: "granted" });
    expect(await listed("bob", id)).toMatchObject({ myRole: "coOwner", accessRevoked: false });
    expect(await listed("carol", id)).toMatchObject({
      myRole: "contributor",
      actions: ["read", "addRecording"],
    });
  });

  test("sharing again with the same role changes nothing; another role updates it", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    const same = await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    expect(same.body.value[0].status).toBe("unchanged");
    const other = await share("alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    expect(other.body.value[0].status).toBe("updated");
    const bob = await app.call(getProcess, { as: "bob", ...processPath(id) });
    expect(bob.body.myRole).toBe("coOwner");
  });

  test("a role the kind does not have is refused, never silently changed", async () => {
    const task = await create("alice", "taskMining");
    const mining = await create("alice", "processMining");
    const viewer = await share("alice", task, { role: "viewer", recipients: [{ id: users.bob.id }] });
    const contributor = await share("alice", mining, {
      role: "contributor",
      recipients: [{ id: users.bob.id }],
    });
    expect([viewer.status, viewer.body.code]).toEqual([400, "role_not_allowed_for_kind"]);
    expect([contributor.status, contributor.body.code]).toEqual([400, "role_not_allowed_for_kind"]);
    expect(await listed("bob", task)).toBeUndefined();
  });

  test("the owner role cannot be granted, and sharing with the owner or yourself is refused", async () => {
    const id = await create("alice", "taskMining");
    const owner = await share("alice", id, { role: "owner", recipients: [{ id: users.bob.id }] });
    expect(owner.body.errors).toEqual([expect.objectContaining({ field: "role" })]);
    await share("alice", id, { role: "coOwner", recipients: [{ id: users.bob.id }] });
    const withOwner = await share("bob", id, { role: "contributor", recipients: [{ id: users.alice.id }] });
    expect([withOwner.status, withOwner.body.code]).toEqual([400, "cannot_share_with_owner"]);
    const withSelf = await share("bob", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    expect([withSelf.status, withSelf.body.code]).toEqual([400, "cannot_share_with_self"]);
  });

  test("groups are refused, unknown and disabled users fail alone: 207 with per-recipient results", async () => {
    const id = await create("alice", "processMining");
    const response = await share("alice", id, {
      role: "viewer",
      recipients: [
        { id: users.bob.id },
        { id: groupId },
        { email: "analysts@contoso.example" },
        { email: "nobody@contoso.example" },
        { id: users.gina.id },
        { email: "erin@fabrikam.example" },
      ],
    });
    expect(response.status).toBe(207);
    expect(response.body.value.map((result: any) => result.error?.code ?? result.status)).toEqual([
      "granted",
      "groups_not_supported",
      "groups_not_supported",
      "principal_not_found",
      "principal_disabled",
      "granted",
    ]);
    const only = await share("alice", id, { role: "viewer", recipients: [{ id: groupId }] });
    expect([only.status, only.body.code]).toEqual([400, "groups_not_supported"]);
  });

  test("bad recipient lists are refused whole: none, 101, duplicates, ids that are not GUIDs, OData quotes", async () => {
    const id = await create("alice", "taskMining");
    const many = Array.from({ length: 101 }, (_, index) => ({
      id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
    }));
    const cases = [
      { recipients: [] },
      { recipients: many },
      { recipients: [{ id: users.bob.id }, { id: users.bob.id.toUpperCase() }] },
      { recipients: [{ id: "bob/../carol" }] },
      { recipients: [{ id: "a#b?c\\d" }] },
      { recipients: [{ email: "x' or RowKey ne '" }] },
      { recipients: [{ id: users.bob.id, email: "bob@contoso.example" }] },
      { recipients: [{ id: users.bob.id }], message: "x".repeat(2001) },
      { recipients: [{ id: users.bob.id }], sendInvitation: "yes" },
    ];
    for (const body of cases) {
      app.roundTrips.reset();
      const response = await share("alice", id, { role: "contributor", ...body });
      expect([response.status, response.body.code]).toEqual([400, "validation_failed"]);
      expect(app.roundTrips.count).toBe(0);
    }
    const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(access.body.value).toHaveLength(1);
  });

  test("a contributor and a viewer cannot share", async () => {
    const task = await create("alice", "taskMining");
    await share("alice", task, { role: "contributor", recipients: [{ id: users.bob.id }] });
    const refused = await share("bob", task, { role: "contributor", recipients: [{ id: users.carol.id }] });
    expect([refused.status, refused.body.code]).toEqual([403, "forbidden"]);
    expect(refused.body.detail).toBe("Only owners and co-owners can manage who has access to this process.");
  });
});

describe("environment-level rights", () => {
  test("a task mining administrator may share a process they hold no role on, and nothing else", async () => {
    const id = await create("alice", "taskMining");
    const shared = await share("dave", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    expect(shared.status).toBe(200);
    const read = await app.call(getProcess, { as: "dave", ...processPath(id) });
    expect([read.status, read.body.code]).toEqual([403, "forbidden"]);
    const access = await app.call(listAccess, { as: "dave", ...processPath(id, "/access") });
    expect(access.status).toBe(403);
    expect(await listed("dave", id)).toBeUndefined();
  });

  test("the share privilege may share either kind, and nothing else", async () => {
    const mining = await create("alice", "processMining");
    const shared = await share("frank", mining, { role: "viewer", recipients: [{ id: users.carol.id }] });
    expect(shared.status).toBe(200);
    const patch = await app.call(updateProcess, {
      method: "PATCH",
      as: "frank",
      ...processPath(mining),
      body: { name: "x" },
    });
    expect([patch.status, patch.body.code]).toEqual([403, "forbidden"]);
    expect(await listed("frank", mining)).toBeUndefined();
  });

  test("a process mining administrator has every action and is never shown in its access list, even when granted", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.dave.id }, { id: users.bob.id }] });
    const dave = await app.call(getProcess, { as: "dave", ...processPath(id) });
    expect(dave.body.actions).toContain("editDataflow");
    const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(access.body.value.map((entry: any) => entry.principalId)).toEqual([users.alice.id, users.bob.id]);
  });

  test("on task mining, an administrator granted a role is shown in its access list", async () => {
    const id = await create("alice", "taskMining");
    await share("alice", id, { role: "contributor", recipients: [{ id: users.dave.id }] });
    const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(access.body.value.map((entry: any) => entry.principalId)).toContain(users.dave.id);
  });
});

describe("access list", () => {
  test("lists the owner and every holder with names, emails, user type, grant and invitation status", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.erin.id }] });
    const response = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(response.status).toBe(200);
    expect(response.body.value).toEqual([
      expect.objectContaining({
        principalId: users.alice.id,
        role: "owner",
        displayName: "Alice Andersen",
        userType: "Member",
      }),
      expect.objectContaining({
        principalId: users.erin.id,
        role: "viewer",
        email: "erin@fabrikam.example",
        userType: "Guest",
        grantedBy: users.alice.id,
        invitation: { status: "notRequested" },
      }),
    ]);
  });

  test("a viewer cannot see who has access", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    const response = await app.call(listAccess, { as: "bob", ...processPath(id, "/access") });
    expect([response.status, response.body.code]).toEqual([403, "forbidden"]);
  });
});

describe("change role, revoke, leave", () => {
  test("PUT changes a holder's role; a role the kind lacks, the owner and a non-holder are refused", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    const put = (principalId: string, role: string) =>
      app.call(changeRole, {
        method: "PUT",
        as: "alice",
        path: `/api/processes/${id}/access/${principalId}`,
        params: { id, principalId },
        body: { role, sendInvitation: false },
      });
    const changed = await put(users.bob.id, "coOwner");
    expect(changed.body).toMatchObject({ principalId: users.bob.id, status: "updated" });
    expect((await put(users.bob.id, "contributor")).body.code).toBe("role_not_allowed_for_kind");
    expect((await put(users.alice.id, "viewer")).body.code).toBe("cannot_share_with_owner");
    const stranger = await put(users.carol.id, "viewer");
    expect([stranger.status, stranger.body.code]).toEqual([404, "not_found"]);
  });

  test("after a revoke the process stays in the list, revoked, with no actions; any other call is access_revoked", async () => {
    const id = await create("alice", "taskMining");
    await share("alice", id, { role: "contributor", recipients: [{ id: users.bob.id }] });
    const revoked = await app.call(revokeAccess, {
      method: "DELETE",
      as: "alice",
      path: `/api/processes/${id}/access/${users.bob.id}`,
      params: { id, principalId: users.bob.id },
    });
    expect(revoked.status).toBe(204);
    expect(await listed("bob", id)).toMatchObject({ myRole: null, accessRevoked: true, actions: [] });
    const read = await app.call(getProcess, { as: "bob", ...processPath(id) });
    expect([read.status, read.body.code]).toEqual([403, "access_revoked"]);
    const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
    expect(access.body.value.map((entry: any) => entry.principalId)).toEqual([users.alice.id]);
  });

  test("anyone may leave; the owner may not", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    const leave = (as: string, principalId: string) =>
      app.call(revokeAccess, {
        method: "DELETE",
        as,
        path: `/api/processes/${id}/access/${principalId}`,
        params: { id, principalId },
      });
    expect((await leave("bob", users.bob.id)).status).toBe(204);
    expect(await listed("bob", id)).toMatchObject({ accessRevoked: true });
    const owner = await leave("alice", users.alice.id);
    expect([owner.status, owner.body.code]).toEqual([400, "owner_cannot_leave"]);
  });

  test("a revoked user granted again gets the process back", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    await app.call(revokeAccess, {
      method: "DELETE",
      as: "alice",
      path: `/api/processes/${id}/access/${users.bob.id}`,
      params: { id, principalId: users.bob.id },
    });
    const again = await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }] });
    expect(again.body.value[0].status).toBe("granted");
    expect(await listed("bob", id)).toMatchObject({ myRole: "viewer", accessRevoked: false });
  });

  test("a viewer cannot revoke someone else", async () => {
    const id = await create("alice", "processMining");
    await share("alice", id, { role: "viewer", recipients: [{ id: users.bob.id }, { id: users.carol.id }] });
    const response = await app.call(revokeAccess, {
      method: "DELETE",
      as: "bob",
      path: `/api/processes/${id}/access/${users.carol.id}`,
      params: { id, principalId: users.carol.id },
    });
    expect([response.status, response.body.code]).toEqual([403, "forbidden"]);
  });
});
