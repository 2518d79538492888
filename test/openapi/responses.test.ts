import azureFunctions from "@azure/functions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  changeRole,
  explainAccess,
  listAccess,
  listAudit,
  revokeAccess,
  shareProcess,
} from "../../functions/access.js";
import { sweepExpiredRoles } from "../../functions/expiry.js";
import { resendInvitation } from "../../functions/invitations.js";
import { getHealth, getMe } from "../../functions/me.js";
import { getOpenApiDefinition } from "../../functions/openapi.js";
import {
  createProcess,
  deleteProcess,
  getProcess,
  listProcesses,
  updateProcess,
} from "../../functions/processes.js";
import {
  addRecording,
  deleteRecording,
  getRecording,
  listRecordings,
  updateRecording,
} from "../../functions/recordings.js";
import {
  acceptOwnership,
  declineOwnership,
  offerOwnership,
  reassignOwner,
  withdrawOwnershipOffer,
} from "../../functions/transfer.js";
import { listUsers } from "../../functions/users.js";
import type { FunctionHandler } from "../../shared/http.js";
import definition from "../../shared/openapi/openapi.json" with { type: "json" };
import {
  type CallOptions,
  type CallResult,
  groupId,
  MovableClock,
  startTestApp,
  type TestApp,
  users,
} from "../support/app.js";
import { connectorDefinitionErrors, swaggerParserErrors } from "./connectorSchemas.js";
import { type SchemaValidator, schemaValidator } from "./schemaValidator.js";

/**
 * Real calls through the handlers (real tokens, Azurite, the dev directory), each answer checked
 * with Ajv against the operation the definition gives for its method, path and status: an
 * undocumented status, a missing field, an extra field, a wrong type or a null the definition
 * does not allow fails.
 */

interface Response {
  readonly schema?: object;
  readonly headers?: Record<string, unknown>;
}
const { InvocationContext } = azureFunctions;

const doc = definition as unknown as {
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
  definitions: Record<string, object>;
  host: string;
  securityDefinitions: {
    oauth2: { authorizationUrl: string; tokenUrl: string; scopes: Record<string, string> };
  };
  security: unknown;
};

let app: TestApp;
let validator: SchemaValidator;
const clock = new MovableClock();
/** Every (operation, status) an answer was checked against, to show what the suite covered. */
const covered = new Set<string>();

beforeAll(async () => {
  validator = schemaValidator(doc);
  app = await startTestApp({ services: { clock } });
});
afterAll(async () => {
  await app.close();
});

/** Calls `handler` as `{method} {template}` and checks the answer against the definition. */
async function call<T = any>(
  handler: FunctionHandler,
  template: string,
  options: Omit<CallOptions, "path"> & { path?: string },
): Promise<CallResult<T>> {
  const params = options.params ?? {};
  const path =
    options.path ?? `/api${template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `{${name}}`)}`;
  const method = (options.method ?? "GET").toLowerCase();
  const result = await app.call<T>(handler, { ...options, path, params });
  const operation = doc.paths[template]?.[method];
  expect(operation, `${method} ${template} is in the definition`).toBeDefined();
  const response = operation?.responses[String(result.status)];
  expect(response, `${method} ${template} documents status ${result.status}`).toBeDefined();
  covered.add(`${method} ${template} ${result.status}`);
  if (response?.schema === undefined) {
    expect(result.body, `${method} ${template} ${result.status} has no body`).toBeUndefined();
  } else {
    expect(validator.errors(response.schema, result.body), `${method} ${template} ${result.status}`).toEqual(
      [],
    );
    const contentType = result.headers.get("content-type") ?? "";
    expect(contentType).toMatch(result.status >= 400 ? /^application\/problem\+json/ : /^application\/json/);
  }
  for (const header of Object.keys(response?.headers ?? {})) {
    expect(result.headers.get(header), `${method} ${template} ${result.status} sends ${header}`).toBeTruthy();
  }
  return result;
}

const processes = "/processes";
const processItem = "/processes/{id}";
const access = "/processes/{id}/access";
const holder = "/processes/{id}/access/{principalId}";
const recordings = "/processes/{id}/recordings";
const recording = "/processes/{id}/recordings/{recordingId}";

async function created(kind: "taskMining" | "processMining", as = "alice"): Promise<string> {
  const response = await call(createProcess, processes, {
    method: "POST",
    as,
    body: { kind, name: `${kind} for the definition`, description: "Checked against OpenAPI." },
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

describe("processes", () => {
  test("create, read, list with a next page, update, conditional update and delete answer as documented", async () => {
    const id = await created("taskMining");
    await created("processMining");
    const read = await call(getProcess, processItem, { as: "alice", params: { id } });
    expect(read.body.myRole).toBe("owner");

    const page = await call(listProcesses, processes, { as: "alice", path: "/api/processes?top=1" });
    // Absolute, as Power Automate's x-ms-pageable follows it.
    expect(page.body.nextLink).toMatch(/^http:\/\/localhost:7071\/api\/processes\?top=1&continuationToken=./);
    await call(listProcesses, processes, { as: "alice", path: page.body.nextLink });

    await call(updateProcess, processItem, {
      method: "PATCH",
      as: "alice",
      params: { id },
      body: { name: "Renamed" },
      headers: { "if-match": read.headers.get("etag") ?? "" },
    });
    const stale = await call(updateProcess, processItem, {
      method: "PATCH",
      as: "alice",
      params: { id },
      body: { description: "again" },
      headers: { "if-match": read.headers.get("etag") ?? "" },
    });
    expect(stale.body.code).toBe("precondition_failed");
    expect(
      (await call(deleteProcess, processItem, { method: "DELETE", as: "alice", params: { id } })).status,
    ).toBe(204);
    expect((await call(getProcess, processItem, { as: "alice", params: { id } })).body.code).toBe(
      "not_found",
    );
  });

  test("bad input, a missing token and a non-JSON body answer with documented problems", async () => {
    const unknownField = await call(createProcess, processes, {
      method: "POST",
      as: "alice",
      body: { kind: "taskMining", name: "x", colour: "red" },
    });
    expect(unknownField.body).toMatchObject({ code: "validation_failed", errors: [{ field: "colour" }] });
    const noToken = await call(listProcesses, processes, { as: null });
    expect(noToken.body.code).toBe("invalid_token");
    const notJson = await call(createProcess, processes, {
      method: "POST",
      as: "alice",
      rawBody: "kind=taskMining",
      headers: { "content-type": "text/plain" },
    });
    expect(notJson.body.code).toBe("unsupported_media_type");
  });
});

describe("access and audit", () => {
  test("share (all, some and none succeed), list, change, revoke, audit and the revoked caller answer as documented", async () => {
    const id = await created("processMining");
    const params = { id };
    const all = await call(shareProcess, access, {
      method: "POST",
      as: "alice",
      params,
      body: { role: "viewer", recipients: [{ id: users.bob.id }], sendInvitation: false },
    });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ succeeded: 1, failed: 0 });
    const some = await call(shareProcess, access, {
      method: "POST",
      as: "alice",
      params,
      body: {
        role: "coOwner",
        recipients: [{ email: users.carol.email }, { id: groupId }],
        sendInvitation: false,
      },
    });
    expect(some.status).toBe(207);
    // Power Automate takes a 207 for success: the counts let a flow see the failure.
    expect(some.body).toMatchObject({ succeeded: 1, failed: 1 });
    expect(some.body.value.map((result: { status: string }) => result.status)).toEqual(["granted", "failed"]);
    const none = await call(shareProcess, access, {
      method: "POST",
      as: "alice",
      params,
      body: { role: "viewer", recipients: [{ id: groupId }], sendInvitation: false },
    });
    expect(none.body.code).toBe("groups_not_supported");
    const wrongRole = await call(shareProcess, access, {
      method: "POST",
      as: "alice",
      params,
      body: { role: "contributor", recipients: [{ id: users.erin.id }] },
    });
    expect(wrongRole.body.code).toBe("role_not_allowed_for_kind");

    const list = await call(listAccess, access, { as: "alice", params });
    expect(list.body.value.map((entry: { role: string }) => entry.role).sort()).toEqual([
      "coOwner",
      "owner",
      "viewer",
    ]);
    const forbidden = await call(listAccess, access, { as: "bob", params });
    expect(forbidden.body.code).toBe("forbidden");

    await call(changeRole, holder, {
      method: "PUT",
      as: "alice",
      params: { ...params, principalId: users.bob.id },
      body: { role: "coOwner", sendInvitation: false },
    });
    await call(revokeAccess, holder, {
      method: "DELETE",
      as: "alice",
      params: { ...params, principalId: users.bob.id },
    });
    const revoked = await call(getProcess, processItem, { as: "bob", params });
    expect(revoked.body.code).toBe("access_revoked");
    const bobsList = await call(listProcesses, processes, { as: "bob", path: "/api/processes?top=100" });
    expect(bobsList.body.value.find((entry: { id: string }) => entry.id === id)).toMatchObject({
      accessRevoked: true,
      myRole: null,
    });

    const audit = await call(listAudit, "/processes/{id}/audit", { as: "alice", params });
    expect(audit.body.value.length).toBeGreaterThanOrEqual(4);
  });

  test("re-sending an invitation answers as documented", async () => {
    const id = await created("taskMining");
    await call(shareProcess, access, {
      method: "POST",
      as: "alice",
      params: { id },
      body: { role: "contributor", recipients: [{ id: users.dave.id }], sendInvitation: false },
    });
    const resent = await call(resendInvitation, `${holder}/invitation`, {
      method: "POST",
      as: "alice",
      params: { id, principalId: users.dave.id },
    });
    expect([202, 429]).toContain(resent.status);
    const nobody = await call(resendInvitation, `${holder}/invitation`, {
      method: "POST",
      as: "alice",
      params: { id, principalId: users.erin.id },
    });
    expect(nobody.status).toBe(404);
  });
});

describe("ownership transfer", () => {
  test("offer, withdraw, decline, accept and an administrator's reassignment answer as documented", async () => {
    const id = await created("processMining");
    const params = { id };
    await call(shareProcess, access, {
      method: "POST",
      as: "alice",
      params,
      body: { role: "viewer", recipients: [{ id: users.bob.id }], sendInvitation: false },
    });
    const transfer = "/processes/{id}/transfer";
    const offer = () =>
      call(offerOwnership, transfer, {
        method: "POST",
        as: "alice",
        params,
        body: { principalId: users.bob.id, sendInvitation: false },
      });
    expect((await offer()).status).toBe(200);
    const pending = await call(getProcess, processItem, { as: "bob", params });
    expect(pending.body.pendingOwner.principalId).toBe(users.bob.id);
    const list = await call(listAccess, access, { as: "alice", params });
    expect(list.body.value.some((entry: { ownershipOffer?: unknown }) => entry.ownershipOffer)).toBe(true);
    const notHolder = await call(offerOwnership, transfer, {
      method: "POST",
      as: "alice",
      params,
      body: { principalId: users.carol.id },
    });
    expect(notHolder.body.code).toBe("not_a_holder");
    expect(
      (await call(withdrawOwnershipOffer, transfer, { method: "DELETE", as: "alice", params })).status,
    ).toBe(204);
    const none = await call(acceptOwnership, `${transfer}/accept`, { method: "POST", as: "bob", params });
    expect(none.body.code).toBe("no_ownership_offer");
    await offer();
    expect(
      (await call(declineOwnership, `${transfer}/decline`, { method: "POST", as: "bob", params })).status,
    ).toBe(204);
    await offer();
    const forged = await call(acceptOwnership, `${transfer}/accept`, { method: "POST", as: "carol", params });
    expect(forged.status).toBe(404);
    expect(
      (await call(acceptOwnership, `${transfer}/accept`, { method: "POST", as: "bob", params })).status,
    ).toBe(204);
    const reassigned = await call(reassignOwner, "/processes/{id}/owner", {
      method: "PUT",
      as: "dave",
      params,
      body: { principalId: users.carol.id },
    });
    expect(reassigned.body).toMatchObject({ ownerId: users.carol.id, previousOwnerRole: "coOwner" });
    const audit = await call(listAudit, "/processes/{id}/audit", { as: "carol", params });
    expect(audit.body.value.map((entry: { operation: string }) => entry.operation)).toContain(
      "ownershipReassigned",
    );
  });
});

describe("recordings", () => {
  test("add, list, get, label and delete a recording, and a process mining process's refusal, answer as documented", async () => {
    const id = await created("taskMining");
    const added = await call(addRecording, recordings, {
      method: "POST",
      as: "alice",
      params: { id },
      body: { name: "Month-end close", labels: ["finance"], durationSeconds: 300, applications: ["Excel"] },
    });
    expect(added.status).toBe(201);
    const recordingId: string = added.body.id;
    await call(listRecordings, recordings, { as: "alice", params: { id } });
    await call(getRecording, recording, { as: "alice", params: { id, recordingId } });
    await call(updateRecording, recording, {
      method: "PATCH",
      as: "alice",
      params: { id, recordingId },
      body: { labels: ["finance", "close"] },
    });
    const deleted = await call(deleteRecording, recording, {
      method: "DELETE",
      as: "alice",
      params: { id, recordingId },
    });
    expect(deleted.status).toBe(204);

    const mining = await created("processMining");
    const refused = await call(listRecordings, recordings, { as: "alice", params: { id: mining } });
    expect(refused.body.code).toBe("recordings_not_supported");
  });
});

describe("people and service", () => {
  test("me, the people picker, its validation error and health answer as documented", async () => {
    const me = await call(getMe, "/me", { as: "dave" });
    expect(me.body.isAdministrator).toBe(true);
    const found = await call(listUsers, "/users", { as: "alice", path: "/api/users?search=ca" });
    expect(found.body.value.length).toBeGreaterThan(0);
    const tooShort = await call(listUsers, "/users", { as: "alice", path: "/api/users?search=c" });
    expect(tooShort.body.code).toBe("validation_failed");
    expect((await call(getHealth, "/health", { as: null })).body).toEqual({ status: "ok" });
  });

  test("the served definition is the repository's, with this deployment's host, tenant and scope", async () => {
    const served = await call(getOpenApiDefinition, "/openapi.json", {
      as: null,
      path: "/api/openapi.json",
      headers: { "x-forwarded-proto": "https" },
    });
    const { tenantId, requiredScope } = app.config.auth;
    const scope = `api://${app.config.auth.audiences[0] ?? ""}/${requiredScope}`;
    expect(served.body.host).toBe("localhost:7071");
    expect(served.body.schemes).toEqual(["https"]);
    expect(served.body.securityDefinitions.oauth2).toMatchObject({
      type: "oauth2",
      flow: "accessCode",
      authorizationUrl: `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/authorize`,
      tokenUrl: `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`,
    });
    expect(Object.keys(served.body.securityDefinitions.oauth2.scopes)).toEqual([scope]);
    expect(served.body.security).toEqual([{ oauth2: [scope] }]);
    expect({
      ...served.body,
      host: doc.host,
      schemes: undefined,
      securityDefinitions: undefined,
      security: undefined,
    }).toEqual({ ...definition, schemes: undefined, securityDefinitions: undefined, security: undefined });
    expect(connectorDefinitionErrors(served.body)).toEqual([]);
    expect(await swaggerParserErrors(served.body)).toEqual([]);
  });
});

describe("expiring access and explain", () => {
  test("an expiring share, the access list, my expiring list, the sweep's audit entry and explain answer as documented", async () => {
    const id = await created("processMining");
    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    const body = { role: "viewer", recipients: [{ id: users.bob.id }], sendInvitation: false, expiresAt };
    await call(shareProcess, access, { method: "POST", as: "alice", params: { id }, body });
    const bad = await call(shareProcess, access, {
      method: "POST",
      as: "alice",
      params: { id },
      body: { ...body, expiresAt: "2000-01-01T00:00:00Z" },
    });
    expect(bad.body.code).toBe("invalid_expiry");
    const params = { id, principalId: users.bob.id };
    const explained = await call(explainAccess, `${holder}/explain`, { as: "alice", params });
    expect(explained.body.membership).toMatchObject({ state: "holder", expiresAt });
    await call(explainAccess, `${holder}/explain`, {
      as: "bob",
      params: { id, principalId: users.alice.id },
    });
    await call(explainAccess, `${holder}/explain`, { as: "carol", params });
    const soon = await call(listProcesses, processes, {
      as: "bob",
      path: "/api/processes?expiringWithin=P1D",
    });
    expect(soon.body.value.map((entry: { id: string }) => entry.id)).toContain(id);
    await call(listProcesses, processes, { as: "bob", path: "/api/processes?expiringWithin=P2Y" });

    clock.advance(61_000);
    const listed = await call(listAccess, access, { as: "alice", params: { id } });
    expect(listed.body.value[1]).toMatchObject({ expiresAt, expired: true });
    await call(explainAccess, `${holder}/explain`, { as: "bob", params });
    await sweepExpiredRoles(
      {
        isPastDue: false,
        schedule: { adjustForDST: false },
        scheduleStatus: { last: "", next: "", lastUpdated: "" },
      },
      new InvocationContext({ invocationId: "expiry", functionName: "sweepExpiredRoles" }),
    );
    const audit = await call(listAudit, "/processes/{id}/audit", { as: "alice", params: { id } });
    expect(audit.body.value.at(-1)).toMatchObject({ operation: "expired" });
  });
});

describe("scope", () => {
  test("a token without the API's scope gets a documented 403 insufficient_scope from every secured operation", async () => {
    const token = await app.identity.token("alice", { scope: "User.Read openid" });
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const ids = { id, principalId: users.bob.id, recordingId: id };
    const secured: [FunctionHandler, string, string][] = [
      [listProcesses, processes, "GET"],
      [createProcess, processes, "POST"],
      [getProcess, processItem, "GET"],
      [updateProcess, processItem, "PATCH"],
      [deleteProcess, processItem, "DELETE"],
      [listAccess, access, "GET"],
      [shareProcess, access, "POST"],
      [changeRole, holder, "PUT"],
      [revokeAccess, holder, "DELETE"],
      [resendInvitation, `${holder}/invitation`, "POST"],
      [listAudit, "/processes/{id}/audit", "GET"],
      [explainAccess, `${holder}/explain`, "GET"],
      [offerOwnership, "/processes/{id}/transfer", "POST"],
      [withdrawOwnershipOffer, "/processes/{id}/transfer", "DELETE"],
      [acceptOwnership, "/processes/{id}/transfer/accept", "POST"],
      [declineOwnership, "/processes/{id}/transfer/decline", "POST"],
      [reassignOwner, "/processes/{id}/owner", "PUT"],
      [listRecordings, recordings, "GET"],
      [addRecording, recordings, "POST"],
      [getRecording, recording, "GET"],
      [updateRecording, recording, "PATCH"],
      [deleteRecording, recording, "DELETE"],
      [listUsers, "/users", "GET"],
      [getMe, "/me", "GET"],
    ];
    const securedInDefinition = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).filter(
        (operation) => (operation as { security?: unknown[] }).security?.length !== 0,
      ),
    );
    expect(secured).toHaveLength(securedInDefinition.length);
    for (const [handler, template, method] of secured) {
      const answer = await call(handler, template, { method, token, params: ids, body: {} });
      expect(answer.body.code, `${method} ${template}`).toBe("insufficient_scope");
    }
  });
});

test("the calls above covered every operation of the definition", () => {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method} ${path}`),
  );
  const reached = new Set([...covered].map((entry) => entry.split(" ").slice(0, 2).join(" ")));
  expect(operations.filter((operation) => !reached.has(operation))).toEqual([]);
});
