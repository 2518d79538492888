import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, test } from "vitest";

import type { BindingMetadata } from "../../local/host/functionsCore.js";
import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import { type E2eHost, entryImports, startE2eHost } from "../support/e2e.js";

/**
 * The whole service through the local host, started as `npm start` starts it (the repository's
 * host.json and settings file, the app's real entry, its own Azurite), over real HTTP with tokens
 * from the dev identity provider.
 */

const people = Object.fromEntries(readDevDirectory().users.map((user) => [user.alias, user]));
const alice = people.alice!;
const bob = people.bob!;
const invitationSenderInApp = entryImports("invitations");

let e2e: E2eHost;

beforeAll(async () => {
  e2e = await startE2eHost();
});

afterAll(async () => {
  await e2e.stop();
});

interface ProcessAnswer {
  id: string;
  name: string;
  myRole: string | null;
  accessRevoked?: boolean;
  actions: string[];
}
interface AccessEntry {
  principalId: string;
  role: string;
  invitation: { status: string; sentAt?: string };
}

async function createProcess(name: string, kind = "processMining"): Promise<string> {
  const created = await e2e.call<ProcessAnswer>("/api/processes", {
    as: "alice",
    method: "POST",
    body: { kind, name },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe("the service answers over HTTP", () => {
  test("GET /api/health answers ok without a token and says nothing else", async () => {
    const health = await e2e.call("/api/health");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
  });

  test("GET /api/me is the caller as resolved from a dev token", async () => {
    const me = await e2e.call("/api/me", { as: "alice" });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: alice.id,
      tenantId: readDevDirectory().tenantId,
      name: alice.displayName,
      username: alice.email,
      appRoles: [],
      isAdministrator: false,
    });
    const dave = await e2e.call("/api/me", { as: "dave" });
    expect(dave.body).toMatchObject({ appRoles: ["Process.Admin"], isAdministrator: true });
  });

  test("create, share with an invitation, list, revoke: the revoked process stays listed, and the audit says who did what", async () => {
    const created = await e2e.call<ProcessAnswer>("/api/processes", {
      as: "alice",
      method: "POST",
      body: { kind: "processMining", name: "Order to cash" },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.headers.get("location")).toBe(`/api/processes/${id}`);
    expect(created.body).toMatchObject({ name: "Order to cash", myRole: "owner" });

    const shared = await e2e.call(`/api/processes/${id}/access`, {
      as: "alice",
      method: "POST",
      body: { role: "viewer", recipients: [{ email: bob.email }], message: "Have a look" },
    });
    expect(shared.status).toBe(200);
    expect(shared.body).toEqual({
      value: [{ recipient: { email: bob.email }, principalId: bob.id, status: "granted" }],
      succeeded: 1,
      failed: 0,
    });

    const access = await e2e.call<{ value: AccessEntry[] }>(`/api/processes/${id}/access`, { as: "alice" });
    expect(access.status).toBe(200);
    expect(access.body.value.map((entry) => [entry.principalId, entry.role])).toEqual([
      [alice.id, "owner"],
      [bob.id, "viewer"],
    ]);
    expect(["pending", "sent"]).toContain(access.body.value[1]?.invitation.status);

    const bobsList = await e2e.call<{ value: ProcessAnswer[] }>("/api/processes", { as: "bob" });
    expect(bobsList.body.value).toContainEqual(
      expect.objectContaining({ id, myRole: "viewer", accessRevoked: false }),
    );

    const revoked = await e2e.call(`/api/processes/${id}/access/${bob.id}`, {
      as: "alice",
      method: "DELETE",
    });
    expect(revoked.status).toBe(204);

    const afterRevoke = await e2e.call<{ value: ProcessAnswer[] }>("/api/processes", { as: "bob" });
    expect(afterRevoke.body.value).toContainEqual(
      expect.objectContaining({ id, myRole: null, accessRevoked: true, actions: [] }),
    );
    const refused = await e2e.call(`/api/processes/${id}`, { as: "bob" });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "access_revoked" });

    const audit = await e2e.call<{ value: { operation: string; actorId: string; principalId?: string }[] }>(
      `/api/processes/${id}/audit`,
      { as: "alice" },
    );
    expect(audit.status).toBe(200);
    expect(
      audit.body.value.map(({ operation, actorId, principalId }) => ({ operation, actorId, principalId })),
    ).toEqual([
      { operation: "created", actorId: alice.id, principalId: undefined },
      { operation: "granted", actorId: alice.id, principalId: bob.id },
      { operation: "revoked", actorId: alice.id, principalId: bob.id },
    ]);
  });

  test.runIf(invitationSenderInApp)(
    "the queued invitation is sent to the dev mailbox once, and the access list then says sent",
    async () => {
      const id = await createProcess(`Invoice approval ${randomUUID()}`);
      const shared = await e2e.call(`/api/processes/${id}/access`, {
        as: "alice",
        method: "POST",
        body: { role: "viewer", recipients: [{ id: bob.id }], message: "Have a look" },
      });
      expect(shared.status).toBe(200);

      const mail = await e2e.eventually(
        "the invitation in the dev mailbox",
        async () => (await e2e.mailbox()).filter((message) => JSON.stringify(message).includes(id)),
        (found) => found.length > 0,
      );
      expect(mail).toHaveLength(1);
      expect(JSON.stringify(mail[0]?.to)).toContain(bob.email);
      expect(mail[0]?.plainText).toContain(`http://localhost:3000/processes/${id}/analytics`);
      expect(mail[0]?.plainText).toContain("Have a look");

      const access = await e2e.eventually(
        "the invitation marked sent",
        async () =>
          (await e2e.call<{ value: AccessEntry[] }>(`/api/processes/${id}/access`, { as: "alice" })).body
            .value,
        (entries) => entries.find((entry) => entry.principalId === bob.id)?.invitation.status === "sent",
      );
      expect(access.find((entry) => entry.principalId === bob.id)?.invitation.sentAt).toEqual(
        expect.any(String),
      );
    },
  );
});

describe("the host's routes are the functions' registrations", () => {
  /** The only functions that answer without a token (SPEC: health; the API description). */
  const anonymousFunctions = new Set(["getHealth", "getOpenApiDefinition"]);
  const placeholder = /\{([^}:?]+)(?::[^}]*)?\??\}/g;

  function httpTriggers(): { name: string; trigger: BindingMetadata }[] {
    return e2e.local.host.functions
      .map((fn) => ({
        name: fn.metadata.name,
        trigger: Object.values(fn.metadata.bindings).find((binding) => binding.type === "httpTrigger"),
      }))
      .filter((entry): entry is { name: string; trigger: BindingMetadata } => entry.trigger !== undefined);
  }

  test("each HTTP registration is served under /api on its route with its methods", () => {
    const expected = httpTriggers()
      .map(({ name, trigger }) => ({
        functionName: name,
        route: `api/${String(trigger.route)}`,
        methods: (trigger.methods as string[]).map((method) => method.toUpperCase()),
      }))
      .sort((a, b) => a.functionName.localeCompare(b.functionName));
    const served = [...e2e.local.host.httpRoutes].sort((a, b) =>
      a.functionName.localeCompare(b.functionName),
    );
    expect(served).toEqual(expected);
    expect(served.map((route) => route.functionName)).toEqual(
      expect.arrayContaining([
        "createProcess",
        "shareProcess",
        "revokeAccess",
        "listAudit",
        "getMe",
        "getHealth",
      ]),
    );
  });

  test("every registered HTTP function answers its own route and method (a function's answer, not the host's 404)", async () => {
    for (const route of e2e.local.host.httpRoutes) {
      const path = `/${route.route.replace(placeholder, () => randomUUID())}`;
      for (const method of route.methods) {
        const before = e2e.logs.length;
        const answer = await fetch(`${e2e.url}${path}`, { method });
        await answer.arrayBuffer();
        const line = e2e.logs
          .slice(before)
          .find((entry) => entry.includes(`Executed '${route.functionName}'`));
        expect(line, `${method} ${path} should run ${route.functionName}`).toContain(`${method} ${path}`);
        // Without a token only the anonymous functions answer; every other one refuses with the API's own
        // problem, and the catch-all answers the API's 404 for whatever reaches it.
        if (anonymousFunctions.has(route.functionName)) expect(answer.status, `${method} ${path}`).toBe(200);
        else {
          expect(answer.status, `${method} ${path}`).toBe(route.functionName === "notFound" ? 404 : 401);
          expect(answer.headers.get("content-type")).toBe("application/problem+json");
        }
      }
    }
  });

  test("a method no registration has on a route is the API's 404 not_found problem, as Azure's host treats it as an unknown route", async () => {
    const byRoute = new Map<string, Set<string>>();
    for (const route of e2e.local.host.httpRoutes) {
      if (route.functionName === "notFound") continue;
      const methods = byRoute.get(route.route) ?? new Set<string>();
      for (const method of route.methods) methods.add(method);
      byRoute.set(route.route, methods);
    }
    let checked = 0;
    for (const [route, methods] of byRoute) {
      for (const unregistered of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => !methods.has(m))) {
        checked += 1;
        const path = `/${route.replace(placeholder, () => randomUUID())}`;
        const before = e2e.logs.length;
        const answer = await fetch(`${e2e.url}${path}`, { method: unregistered });
        expect(answer.status, `${unregistered} ${path}`).toBe(404);
        expect(answer.headers.get("allow")).toBeNull();
        expect(answer.headers.get("content-type")).toBe("application/problem+json");
        expect(await answer.json()).toMatchObject({ status: 404, code: "not_found" });
        expect(e2e.logs.slice(before).join("\n")).toContain("Executed 'notFound'");
      }
    }
    expect(checked).toBeGreaterThanOrEqual(byRoute.size);
  });

  test("the dev routes are the local host's own: no registration has one, and none answers under /api", async () => {
    for (const route of e2e.local.host.httpRoutes) expect(route.route).not.toMatch(/(^|\/)dev(\/|$)/);
    for (const path of [
      "/api/dev/identity/token",
      "/api/dev/mailbox",
      "/api/dev/identity/.well-known/openid-configuration",
    ]) {
      expect((await fetch(`${e2e.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${e2e.url}/dev/identity/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${e2e.url}/dev/mailbox`)).status).toBe(200);
  });
});

describe("deliberately wrong dev tokens are refused by the API", () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    ["another audience", { audience: "api://not-this-api" }, 401, "invalid_token"],
    ["another tenant", { tenantId: "11111111-2222-4333-8444-555555555555" }, 401, "invalid_token"],
    ["already expired", { expiresIn: -600 }, 401, "invalid_token"],
    ["another scope", { scope: "User.Read" }, 403, "insufficient_scope"],
    ["app-only", { appOnly: true }, 403, "forbidden"],
  ];
  for (const [name, variant, status, code] of cases) {
    test(`${name}: ${status} ${code}`, async () => {
      const token = await e2e.token("alice", variant);
      for (const path of ["/api/me", "/api/processes"]) {
        const answer = await e2e.call(path, { token });
        expect(answer.status, path).toBe(status);
        expect(answer.headers.get("content-type")).toBe("application/problem+json");
        expect(answer.body).toMatchObject({ status, code });
        const challenge = answer.headers.get("www-authenticate");
        if (code === "forbidden") expect(challenge).toBeNull();
        else expect(challenge).toMatch(new RegExp(`^Bearer error="${code}"`));
      }
    });
  }

  test("no token, or not a bearer token, is 401 invalid_token with a challenge", async () => {
    for (const headers of [{}, { authorization: "Basic YWxpY2U6cGFzc3dvcmQ=" }] as Record<string, string>[]) {
      const answer = await e2e.call("/api/me", { headers });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: "invalid_token" });
      expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    }
  });

  test("the same request with a right token succeeds, so the variant is what was refused", async () => {
    expect(
      (await e2e.call("/api/me", { token: await e2e.token("alice", { scope: "Process.ReadWrite" }) })).status,
    ).toBe(200);
  });
});

describe("CORS from the settings file", () => {
  test("the allowed origin gets the CORS headers, on preflight and on the call", async () => {
    const preflight = await fetch(`${e2e.url}/api/processes`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization, content-type");

    const call = await fetch(`${e2e.url}/api/health`, { headers: { origin: "http://localhost:3000" } });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(call.headers.get("vary")).toBe("Origin");
  });

  test("another origin gets no CORS headers: its preflight is refused and its call carries none", async () => {
    const preflight = await fetch(`${e2e.url}/api/processes`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:4000", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();

    const call = await fetch(`${e2e.url}/api/health`, { headers: { origin: "http://localhost:4000" } });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBeNull();
  });
});
