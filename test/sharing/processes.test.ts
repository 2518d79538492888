import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { listAudit, shareProcess } from "../../functions/access.js";
import { getHealth, getMe } from "../../functions/me.js";
import {
  createProcess,
  deleteProcess,
  getProcess,
  listProcesses,
  updateProcess,
} from "../../functions/processes.js";
import { processPath, startTestApp, type TestApp, users } from "../support/app.js";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

async function create(
  as: string,
  kind: "taskMining" | "processMining",
  name = "Invoice approval",
): Promise<any> {
  const response = await app.call(createProcess, {
    method: "POST",
    path: "/api/processes",
    as,
    body: { kind, name },
  });
  expect(response.status).toBe(201);
  return response.body;
}

describe("create", () => {
  test("the creator becomes the owner, with every owner action, a Location and an ETag", async () => {
    const response = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      body: { kind: "processMining", name: "Order to cash", description: "From order to payment" },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      kind: "processMining",
      name: "Order to cash",
      description: "From order to payment",
      ownerId: users.alice.id,
      myRole: "owner",
      actions: [
        "read",
        "viewAnalytics",
        "update",
        "viewAccess",
        "share",
        "delete",
        "analyze",
        "editDataflow",
        "transferOwnership",
      ],
    });
    expect(response.headers.get("location")).toBe(`/api/processes/${response.body.id}`);
    expect(response.headers.get("etag")).toBe('"v1"');
    // A browser front end must be able to read what it sends back as If-Match.
    expect(response.headers.get("access-control-expose-headers")).toContain("ETag");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  test("refuses an unknown kind, an empty name, a name with a line break and unknown fields, naming each field", async () => {
    const response = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      body: { kind: "dataMining", name: "", colour: "red" },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.body.code).toBe("validation_failed");
    const fields = response.body.errors.map((error: { field: string }) => error.field).sort();
    expect(fields).toEqual(["colour", "kind", "name"]);

    const lineBreak = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      body: { kind: "taskMining", name: "two\nlines" },
    });
    expect(lineBreak.body.errors).toEqual([expect.objectContaining({ field: "name" })]);
  });

  test("refuses malformed JSON, a body that is not JSON, and an oversized body", async () => {
    const malformed = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      rawBody: '{"kind": "taskMining", ',
      headers: { "content-type": "application/json" },
    });
    expect([malformed.status, malformed.body.code]).toEqual([400, "malformed_json"]);

    const text = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      rawBody: "kind=taskMining",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect([text.status, text.body.code]).toEqual([415, "unsupported_media_type"]);

    const oversized = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      body: { kind: "taskMining", name: "big", description: "x".repeat(70_000) },
    });
    expect([oversized.status, oversized.body.code]).toEqual([413, "payload_too_large"]);
  });

  test("wrong types are named field by field", async () => {
    const response = await app.call(createProcess, {
      method: "POST",
      path: "/api/processes",
      as: "alice",
      body: { kind: 7, name: ["a"], description: false },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      "description",
      "kind",
      "name",
    ]);
  });
});

describe("get, update, delete", () => {
  test("the owner reads details with myRole, actions and an ETag", async () => {
    const created = await create("alice", "taskMining");
    const response = await app.call(getProcess, { as: "alice", ...processPath(created.id) });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: created.id, myRole: "owner", kind: "taskMining" });
    expect(response.body.actions).toEqual([
      "read",
      "viewAnalytics",
      "update",
      "viewAccess",
      "share",
      "addRecording",
      "manageAllRecordings",
      "delete",
      "analyze",
      "transferOwnership",
    ]);
    expect(response.headers.get("etag")).toBe('"v1"');
  });

  test("a stranger gets 404 for a process they may not know exists, like for one that does not exist", async () => {
    const created = await create("alice", "taskMining");
    const stranger = await app.call(getProcess, { as: "bob", ...processPath(created.id) });
    const missing = await app.call(getProcess, {
      as: "bob",
      ...processPath("0b0b0b0b-0000-4000-8000-000000000000"),
    });
    expect([stranger.status, stranger.body.code]).toEqual([404, "not_found"]);
    expect(missing.body).toEqual(stranger.body);
  });

  test("an id that is not a GUID is refused before it reaches storage", async () => {
    for (const id of ["a/b", "a\\b", "a#b", "a?b", "x\u0001y", "' or PartitionKey ne '"]) {
      app.roundTrips.reset();
      const response = await app.call(getProcess, { as: "alice", path: "/api/processes/x", params: { id } });
      expect([response.status, response.body.code]).toEqual([400, "validation_failed"]);
      expect(app.roundTrips.count).toBe(0);
    }
  });

  test("PATCH changes name and description, bumps the ETag, and the owner's list shows the new name", async () => {
    const created = await create("alice", "taskMining", "Old name");
    const response = await app.call(updateProcess, {
      method: "PATCH",
      as: "alice",
      ...processPath(created.id),
      headers: { "if-match": '"v1"' },
      body: { name: "New name", description: "Now described" },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: "New name", description: "Now described" });
    expect(response.headers.get("etag")).toBe('"v2"');
    const list = await app.call(listProcesses, { as: "alice", path: "/api/processes?top=100" });
    expect(list.body.value.find((entry: { id: string }) => entry.id === created.id)?.name).toBe("New name");
  });

  test("two PATCHes with the same ETag: exactly one wins, the other gets 412", async () => {
    const created = await create("alice", "taskMining");
    const patch = (name: string) =>
      app.call(updateProcess, {
        method: "PATCH",
        as: "alice",
        ...processPath(created.id),
        headers: { "if-match": '"v1"' },
        body: { name },
      });
    const results = await Promise.all([patch("First"), patch("Second")]);
    expect(results.map((result) => result.status).sort()).toEqual([200, 412]);
    expect(results.find((result) => result.status === 412)?.body.code).toBe("precondition_failed");
    const winner = results.find((result) => result.status === 200)?.body.name;
    const now = await app.call(getProcess, { as: "alice", ...processPath(created.id) });
    expect(now.body.name).toBe(winner);
  });

  test("a contributor may read but not update or delete; a viewer may not update", async () => {
    const task = await create("alice", "taskMining");
    await app.call(shareProcess, {
      method: "POST",
      as: "alice",
      ...processPath(task.id, "/access"),
      body: { role: "contributor", recipients: [{ id: users.bob.id }], sendInvitation: false },
    });
    const patch = await app.call(updateProcess, {
      method: "PATCH",
      as: "bob",
      ...processPath(task.id),
      body: { name: "x" },
    });
    expect([patch.status, patch.body.code]).toEqual([403, "forbidden"]);
    const remove = await app.call(deleteProcess, { method: "DELETE", as: "bob", ...processPath(task.id) });
    expect([remove.status, remove.body.code]).toEqual([403, "forbidden"]);
  });

  test("delete cascades: gone for the owner and from every member's list", async () => {
    const created = await create("alice", "processMining");
    await app.call(shareProcess, {
      method: "POST",
      as: "alice",
      ...processPath(created.id, "/access"),
      body: {
        role: "viewer",
        recipients: [{ id: users.bob.id }, { id: users.carol.id }],
        sendInvitation: false,
      },
    });
    const response = await app.call(deleteProcess, {
      method: "DELETE",
      as: "alice",
      ...processPath(created.id),
    });
    expect(response.status).toBe(204);
    for (const user of ["alice", "bob", "carol"]) {
      const list = await app.call(listProcesses, { as: user, path: "/api/processes?top=100" });
      expect(list.body.value.map((entry: { id: string }) => entry.id)).not.toContain(created.id);
    }
    const again = await app.call(getProcess, { as: "alice", ...processPath(created.id) });
    expect(again.status).toBe(404);
    const dave = await app.call(listProcesses, { as: "dave", path: "/api/processes?top=100" });
    expect(dave.body.value.map((entry: { id: string }) => entry.id)).not.toContain(created.id);
  });
});

describe("list", () => {
  test("pages through the caller's processes with an opaque continuation token and a nextLink", async () => {
    const fresh = await startTestApp();
    try {
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        const response = await fresh.call(createProcess, {
          method: "POST",
          path: "/api/processes",
          as: "carol",
          body: { kind: "taskMining", name: `P${index}` },
        });
        ids.push(response.body.id);
      }
      const seen: string[] = [];
      let path: string | undefined = "/api/processes?top=2";
      let pages = 0;
      while (path !== undefined) {
        const page: any = await fresh.call(listProcesses, { as: "carol", path });
        expect(page.status).toBe(200);
        expect(page.body.value.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.value.map((entry: { id: string }) => entry.id));
        path = page.body.nextLink;
        pages += 1;
      }
      expect(pages).toBe(3);
      expect(seen.sort()).toEqual(ids.sort());
    } finally {
      await fresh.close();
    }
  });

  test("a continuation token the service did not issue, and top out of range, are refused", async () => {
    const forged = await app.call(listProcesses, {
      as: "alice",
      path: "/api/processes?continuationToken=abc%27%20or%201",
    });
    expect([forged.status, forged.body.code]).toEqual([400, "invalid_continuation_token"]);
    const tooMany = await app.call(listProcesses, { as: "alice", path: "/api/processes?top=101" });
    expect(tooMany.body.errors).toEqual([expect.objectContaining({ field: "top" })]);
    const unknown = await app.call(listProcesses, { as: "alice", path: "/api/processes?filter=x" });
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: "filter" })]);
  });

  test("a process mining administrator sees every process mining process, not others' task mining ones", async () => {
    const mining = await create("alice", "processMining", "Admin can see me");
    const task = await create("alice", "taskMining", "Admin cannot see me");
    const seen: any[] = [];
    let path: string | undefined = "/api/processes?top=100";
    while (path !== undefined) {
      const page: any = await app.call(listProcesses, { as: "dave", path });
      seen.push(...page.body.value);
      path = page.body.nextLink;
    }
    const entry = seen.find((item) => item.id === mining.id);
    expect(entry).toMatchObject({ myRole: null, accessRevoked: false });
    expect(entry.actions).toContain("editDataflow");
    expect(seen.map((item) => item.id)).not.toContain(task.id);
  });
});

describe("audit, me, health", () => {
  test("the audit trail records creation, grants, changes and revokes, oldest first", async () => {
    const created = await create("alice", "taskMining");
    const share = (role: string) =>
      app.call(shareProcess, {
        method: "POST",
        as: "alice",
        ...processPath(created.id, "/access"),
        body: { role, recipients: [{ id: users.bob.id }], sendInvitation: false },
      });
    await share("contributor");
    await share("coOwner");
    const audit = await app.call(listAudit, { as: "alice", ...processPath(created.id, "/audit") });
    expect(audit.status).toBe(200);
    expect(
      audit.body.value.map((entry: any) => [entry.operation, entry.role ?? null, entry.previousRole ?? null]),
    ).toEqual([
      ["created", null, null],
      ["granted", "contributor", null],
      ["changed", "coOwner", "contributor"],
    ]);
    const contributorView = await app.call(listAudit, { as: "bob", ...processPath(created.id, "/audit") });
    expect(contributorView.status).toBe(200);
  });

  test("GET /api/me answers the caller as resolved from the token", async () => {
    const response = await app.call(getMe, { as: "dave", path: "/api/me" });
    expect(response.body).toMatchObject({
      id: users.dave.id,
      name: "Dave Dubois",
      username: "dave@contoso.example",
      appRoles: ["Process.Admin"],
      isAdministrator: true,
      hasSharePrivilege: false,
    });
  });

  test("health is anonymous and says only whether storage answers", async () => {
    const response = await app.call(getHealth, { path: "/api/health", as: null });
    expect(response).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(Object.keys(response.body)).toEqual(["status"]);
  });
});
