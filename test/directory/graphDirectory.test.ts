import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { type DevDirectoryData, readDevDirectory } from "../../shared/directory/devDirectory.js";
import { createGraphDirectory, type GraphDirectoryOptions } from "../../shared/directory/graphDirectory.js";
import { BadGatewayError, ServiceUnavailableError } from "../../shared/errors.js";
import type { Clock } from "../../shared/ports.js";
import { startTestGraph, type TestGraph } from "../support/graph.js";

const dev = readDevDirectory();
const userId = (alias: string) => dev.users.find((user) => user.alias === alias)?.id ?? "";
const fast: GraphDirectoryOptions = { retry: { baseDelayMs: 5 } };

let testGraph: TestGraph;
beforeAll(async () => {
  testGraph = await startTestGraph();
});
afterEach(() => {
  testGraph.graph.reset();
});
afterAll(async () => {
  await testGraph.close();
});

describe("Graph directory sign-in", () => {
  it("acquires one app-only token and reuses it for many Graph calls", async () => {
    const directory = createGraphDirectory(testGraph.config);
    await directory.search("alice", 5);
    await directory.resolve([{ email: "bob@contoso.example" }, { id: userId("carol") }]);
    await directory.getUsers([userId("dave")]);
    await directory.search("erin", 5);

    const { graph } = testGraph;
    expect(graph.tokenRequests()).toHaveLength(1);
    const form = new URLSearchParams(graph.tokenRequests()[0]?.body);
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.get("scope")).toBe(`${graph.url}/.default`);
    const bearers = new Set(
      graph
        .graphRequests()
        .filter((r) => !r.batched)
        .map((r) => r.headers.authorization),
    );
    expect(graph.graphRequests().length).toBeGreaterThan(4);
    expect(bearers.size).toBe(1);
  });

  it("sends nothing anywhere but the stand-in: msal is given its authority metadata", async () => {
    const called: string[] = [];
    const directory = createGraphDirectory(testGraph.config, {
      fetch: (input, init) => {
        called.push(input instanceof Request ? input.url : String(input));
        return fetch(input, init);
      },
    });
    await directory.search("alice", 5);
    expect(called.length).toBeGreaterThan(1);
    for (const url of called) expect(url.startsWith(`${testGraph.graph.url}/`)).toBe(true);
    const nonGraph = testGraph.graph.requests.filter((request) => !request.path.startsWith("/v1.0/"));
    expect(nonGraph.map((request) => `${request.method} ${request.path}`)).toEqual([
      `POST /${dev.tenantId}/oauth2/v2.0/token`,
    ]);
  });

  it("a rejected client secret is a 502 naming the sign-in, not a crash", async () => {
    const directory = createGraphDirectory({ ...testGraph.config, clientSecret: "wrong" });
    const failure = await directory.search("alice", 5).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadGatewayError);
    expect(failure).toMatchObject({ status: 502, code: "directory_sign_in_failed" });
  });

  it("refuses a plain-http Graph or authority that is not on loopback", () => {
    expect(() => createGraphDirectory({ ...testGraph.config, graphBaseUrl: "http://graph.example" })).toThrow(
      /GRAPH_BASE_URL: must be https/,
    );
  });

  it("needs GRAPH_CLIENT_ID", () => {
    expect(() => createGraphDirectory({ ...testGraph.config, clientId: undefined })).toThrow(
      /GRAPH_CLIENT_ID/,
    );
  });
});

describe("Graph directory requests", () => {
  it("searches members and guests by name, mail and UPN prefix, enabled accounts only, selecting only what it needs", async () => {
    const directory = createGraphDirectory(testGraph.config);
    await directory.search("ali", 7);
    const [search] = testGraph.graph.graphRequests("/v1.0/users");
    expect(search?.method).toBe("GET");
    expect(search?.headers.consistencylevel).toBe("eventual");
    expect(search?.query).toEqual({
      $search: '"displayName:ali" OR "mail:ali" OR "userPrincipalName:ali"',
      $filter: "accountEnabled eq true",
      $select: "id,displayName,mail,userPrincipalName,userType,accountEnabled",
      $top: "7",
      $count: "true",
    });
  });

  it("escapes quotes and backslashes for $search and percent-encodes $, & and non-ASCII", async () => {
    const directory = createGraphDirectory(testGraph.config);
    await directory.search('O"Br\\ $x&y=1 Zoë', 5);
    const [search] = testGraph.graph.graphRequests("/v1.0/users");
    expect(search?.query.$search).toBe(
      ["displayName", "mail", "userPrincipalName"].map((f) => `"${f}:O\\"Br\\\\ $x&y=1 Zoë"`).join(" OR "),
    );
    expect(search?.rawQuery).toContain("%24x%26y%3D1%20Zo%C3%AB");
    expect(search?.rawQuery).not.toContain("+");
    expect(Object.keys(search?.query ?? {}).sort()).toEqual([
      "$count",
      "$filter",
      "$search",
      "$select",
      "$top",
    ]);
  });

  it("guards the search bounds itself: too short finds nothing without asking Graph, top is capped at 25", async () => {
    const directory = createGraphDirectory(testGraph.config);
    expect(await directory.search(" a ", 10)).toEqual([]);
    expect(testGraph.graph.graphRequests()).toHaveLength(0);
    await directory.search("alice", 500);
    expect(testGraph.graph.graphRequests("/v1.0/users")[0]?.query.$top).toBe("25");
  });

  it("resolves ids with one getByIds call for users and groups", async () => {
    const directory = createGraphDirectory(testGraph.config);
    await directory.resolve([
      { id: userId("alice") },
      { id: userId("bob") },
      { id: dev.groups[0]?.id ?? "" },
    ]);
    const calls = testGraph.graph.graphRequests("/v1.0/directoryObjects/getByIds");
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe("POST");
    expect(JSON.parse(calls[0]?.body ?? "{}")).toEqual({
      ids: [userId("alice"), userId("bob"), dev.groups[0]?.id],
      types: ["user", "group"],
    });
  });

  it("resolves emails 20 to a $batch, with single quotes doubled in the filter", async () => {
    const directory = createGraphDirectory(testGraph.config);
    const unknown = Array.from({ length: 20 }, (_, index) => ({ email: `o'nobody${index}@contoso.example` }));
    const resolved = await directory.resolve([{ email: "alice@contoso.example" }, ...unknown]);
    expect(resolved[0]).toMatchObject({ outcome: "user", user: { id: userId("alice") } });
    expect(resolved.slice(1).every((entry) => entry.outcome === "notFound")).toBe(true);

    const batches = testGraph.graph.requests.filter((request) => request.path === "/v1.0/$batch");
    // 21 user lookups (20 + 1), then the 20 unknown addresses tried as groups.
    expect(
      batches.map((batch) => (JSON.parse(batch.body) as { requests: unknown[] }).requests.length),
    ).toEqual([20, 1, 20]);
    const lookup = testGraph.graph
      .graphRequests("/v1.0/users")
      .find((request) => request.batched && request.query.$filter?.includes("nobody0"));
    expect(lookup?.query.$filter).toBe(
      "mail eq 'o''nobody0@contoso.example' or userPrincipalName eq 'o''nobody0@contoso.example'",
    );
  });

  it("finds people whose names and addresses hold quotes, apostrophes and accents", async () => {
    const directory = withUsers([
      person("zoe", "Zoë Ångström", "zoe.angstrom@contoso.example"),
      person("sam", "Sam O'Brien", "sam.o'brien@contoso.example"),
      person("kim", 'Kim "KJ" Jones', "kim@contoso.example"),
    ]);
    const graph = await startTestGraph({ directory });
    try {
      const graphDirectory = createGraphDirectory(graph.config);
      expect((await graphDirectory.search("Zoë", 5)).map((user) => user.displayName)).toEqual([
        "Zoë Ångström",
      ]);
      expect((await graphDirectory.search("ångs", 5)).map((user) => user.displayName)).toEqual([
        "Zoë Ångström",
      ]);
      expect((await graphDirectory.search("O'Br", 5)).map((user) => user.displayName)).toEqual([
        "Sam O'Brien",
      ]);
      expect((await graphDirectory.search('"KJ', 5)).map((user) => user.displayName)).toEqual([
        'Kim "KJ" Jones',
      ]);
      expect(await graphDirectory.resolve([{ email: "Sam.O'Brien@contoso.example" }])).toMatchObject([
        { outcome: "user", user: { displayName: "Sam O'Brien" } },
      ]);
    } finally {
      await graph.close();
    }
  });

  it("follows @odata.nextLink until it has top users", async () => {
    const many = Array.from({ length: 7 }, (_, index) =>
      person(`t${index}`, `Test Person ${index}`, `test.person${index}@contoso.example`),
    );
    const graph = await startTestGraph({ directory: withUsers(many), pageSize: 3 });
    try {
      const directory = createGraphDirectory(graph.config);
      expect(await directory.search("test person", 7)).toHaveLength(7);
      const pages = graph.graph.graphRequests("/v1.0/users");
      expect(pages.map((page) => page.query.$skiptoken)).toEqual([undefined, "3", "6"]);
      graph.graph.reset();
      expect(await directory.search("test person", 2)).toHaveLength(2);
      expect(graph.graph.graphRequests("/v1.0/users")).toHaveLength(1);
    } finally {
      await graph.close();
    }
  });

  it("reads every page of the API's app role assignments, once, for many lookups", async () => {
    const graph = await startTestGraph({ pageSize: 1 });
    try {
      const directory = createGraphDirectory(graph.config);
      const users = await directory.getUsers([userId("dave"), userId("frank")]);
      expect(users.get(userId("dave"))?.appRoles).toEqual(["Process.Admin"]);
      expect(users.get(userId("frank"))?.appRoles).toEqual(["Process.Share.All"]);
      await directory.search("dave", 5);
      await directory.resolve([{ id: userId("dave") }]);
      expect(
        graph.graph
          .graphRequests("/v1.0/servicePrincipals")
          .filter((r) => r.path.endsWith("/appRoleAssignedTo")),
        // One page per assignment: dave's, frank's and the Process Administrators group's.
      ).toHaveLength(3);
    } finally {
      await graph.close();
    }
  });

  it("getUsers asks Graph once for many ids, and again only after the cache expires", async () => {
    const clock = new TestClock();
    const directory = createGraphDirectory(testGraph.config, { clock, userCacheSeconds: 60 });
    const ids = ["alice", "bob", "carol", "erin"].map(userId);
    expect((await directory.getUsers(ids)).size).toBe(4);
    expect((await directory.getUsers(ids.slice(0, 2))).size).toBe(2);
    expect(testGraph.graph.graphRequests("/v1.0/directoryObjects/getByIds")).toHaveLength(1);
    clock.advance(61_000);
    await directory.getUsers(ids);
    expect(testGraph.graph.graphRequests("/v1.0/directoryObjects/getByIds")).toHaveLength(2);
  });
});

describe("Graph directory failures", () => {
  it("waits out a 429 with a short Retry-After and tries again", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    testGraph.graph.fail({ status: 429, retryAfterSeconds: 1, pathPrefix: "/v1.0/users" });
    expect(await directory.search("alice", 5)).toHaveLength(1);
    expect(testGraph.graph.graphRequests("/v1.0/users")).toHaveLength(2);
  });

  it("does not wait out a long Retry-After: 503 directory_throttled at once", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    testGraph.graph.fail({ status: 429, retryAfterSeconds: 120, pathPrefix: "/v1.0/users" });
    const failure = await directory.search("alice", 5).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(failure).toMatchObject({ status: 503, code: "directory_throttled" });
    expect(testGraph.graph.graphRequests("/v1.0/users")).toHaveLength(1);
  });

  it("retries a 5xx and succeeds when Graph recovers", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    testGraph.graph.fail({ status: 503, times: 2, pathPrefix: "/v1.0/directoryObjects" });
    expect((await directory.getUsers([userId("alice")])).size).toBe(1);
    expect(testGraph.graph.graphRequests("/v1.0/directoryObjects")).toHaveLength(3);
  });

  it("gives up on a 5xx after three attempts with 503 directory_unavailable", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    testGraph.graph.fail({ status: 500, times: 10, pathPrefix: "/v1.0/$batch" });
    const failure = await directory
      .resolve([{ email: "alice@contoso.example" }])
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 503, code: "directory_unavailable" });
    expect(testGraph.graph.requests.filter((request) => request.path === "/v1.0/$batch")).toHaveLength(3);
  });

  it("a 403 is a 502 directory_permission_missing naming the permission to grant, not retried", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    testGraph.graph.fail({ status: 403, pathPrefix: "/v1.0/users" });
    const failure = await directory.search("alice", 5).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadGatewayError);
    expect(failure).toMatchObject({ status: 502, code: "directory_permission_missing" });
    expect((failure as Error).message).toContain("Directory.Read.All");
    expect(testGraph.graph.graphRequests("/v1.0/users")).toHaveLength(1);
  });

  it("a 403's problem never shows the Graph client id to the caller; the log names it for the operator", async () => {
    const logged: { message: string; details: Record<string, unknown> }[] = [];
    const directory = createGraphDirectory(testGraph.config, {
      ...fast,
      warn: (message, details) => logged.push({ message, details }),
    });
    testGraph.graph.fail({ status: 403, pathPrefix: "/v1.0/users" });
    const failure = await directory.search("alice", 5).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 502, code: "directory_permission_missing" });
    expect((failure as Error).message).toContain("Directory.Read.All");
    expect((failure as Error).message).not.toContain(testGraph.config.clientId);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toContain(testGraph.config.clientId);
    expect(logged[0]?.details).toMatchObject({ status: 403, clientId: testGraph.config.clientId });
  });

  it("app roles assigned to a group: one members call per assigned group, kept with the assignments", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    const membersCalls = () =>
      testGraph.graph.requests.filter((request) => /^\/v1\.0\/groups\/[^/]+\/members/.test(request.path));
    const before = membersCalls().length;
    const first = await directory.getUsers([userId("hank"), userId("carol")]);
    expect(first.get(userId("hank"))?.appRoles).toEqual(["Process.Admin"]);
    expect(first.get(userId("carol"))?.appRoles).toEqual([]);
    // Only the group that holds a role is expanded; a search a moment later reuses the cache.
    expect(membersCalls().length - before).toBe(1);
    const found = await directory.search("hank", 5);
    expect(found.map((user) => user.appRoles)).toEqual([["Process.Admin"]]);
    expect(membersCalls().length - before).toBe(1);
  });

  it("a 403 on the app role assignments names Application.Read.All as well", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    testGraph.graph.fail({ status: 403, pathPrefix: "/v1.0/servicePrincipals" });
    const failure = await directory.getUsers([userId("dave")]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 502, code: "directory_permission_missing" });
    expect((failure as Error).message).toContain("Application.Read.All");
  });

  it("a Graph that never answers times out with 503 directory_timeout", async () => {
    const directory = createGraphDirectory(testGraph.config, { ...fast, timeoutMs: 300 });
    await directory.search("warm", 5); // the token first, so that only Graph stalls
    testGraph.graph.fail({ status: 0, pathPrefix: "/v1.0/users" });
    const failure = await directory.search("alice", 5).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(failure).toMatchObject({ status: 503, code: "directory_timeout" });
  });
});

class TestClock implements Clock {
  private at = Date.parse("2030-01-01T00:00:00Z");
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

function person(alias: string, displayName: string, email: string): DevDirectoryData["users"][number] {
  const suffix = Buffer.from(alias).toString("hex").padStart(12, "0").slice(-12);
  return {
    alias,
    id: `00000000-0000-4000-8000-${suffix}`,
    displayName,
    email,
    userType: "Member",
    accountEnabled: true,
    appRoles: [],
  };
}

function withUsers(users: DevDirectoryData["users"]): DevDirectoryData {
  return { ...dev, users: [...dev.users, ...users] };
}
