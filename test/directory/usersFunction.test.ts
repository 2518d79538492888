import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listUsers } from "../../functions/users.js";
import { createGraphDirectory } from "../../shared/directory/graphDirectory.js";
import { startTestApp, type TestApp, users } from "../support/app.js";
import { startTestGraph, type TestGraph } from "../support/graph.js";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const search = (query: string, as: string | null = "alice") =>
  app.call(listUsers, { path: `/api/users?${query}`, as });

describe("GET /api/users", () => {
  it("finds members and guests by a prefix of their name or email, with only id, name, email and type", async () => {
    const byName = await search("search=Eri");
    expect(byName.status).toBe(200);
    expect(byName.body).toEqual({
      value: [
        {
          id: users.erin.id,
          displayName: users.erin.displayName,
          email: users.erin.email,
          userType: "Guest",
        },
      ],
    });
    const byEmail = await search(`search=${encodeURIComponent("bob@contoso")}`);
    expect(byEmail.body.value).toEqual([
      { id: users.bob.id, displayName: users.bob.displayName, email: users.bob.email, userType: "Member" },
    ]);
  });

  it("never lists a disabled account", async () => {
    const response = await search("search=gina");
    expect(response.status).toBe(200);
    expect(response.body.value).toEqual([]);
  });

  it("returns at most top users, 10 by default", async () => {
    const two = await search("search=contoso&top=2");
    expect(two.body.value).toHaveLength(2);
    const defaulted = await search("search=contoso");
    expect(defaulted.body.value.length).toBeGreaterThan(2);
    expect(defaulted.body.value.length).toBeLessThanOrEqual(10);
  });

  it("refuses a search shorter than two characters, a missing search, a top out of 1..25 and unknown parameters", async () => {
    for (const query of [
      "search=a",
      "search=%20%20b%20",
      "",
      "search=al&top=0",
      "search=al&top=26",
      "search=al&top=x",
      "search=al&filter=1",
    ]) {
      const response = await search(query);
      expect(response.status, query).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.body.code).toBe("validation_failed");
    }
    const short = await search("search=a");
    expect(short.body.errors).toEqual([{ field: "search", message: "must be at least 2 characters" }]);
  });

  it("needs a valid token before anything else", async () => {
    const response = await search("search=al", null);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("invalid_token");
    const invalid = await app.call(listUsers, { path: "/api/users?search=a", token: "not-a-token" });
    expect(invalid.status).toBe(401);
  });
});

describe("GET /api/users for guests (USERS_GUEST_SEARCH, default exactAddress)", () => {
  const refused = (response: { status: number; body: any }) => {
    expect(response.status).toBe(403);
    expect(response.body.code).toBe("guest_search_restricted");
  };

  it("a guest cannot page through the tenant: any prefix search is refused with 403 guest_search_restricted", async () => {
    for (const query of ["search=contoso", "search=Ali", `search=${encodeURIComponent("alice@contoso")}`]) {
      refused(await search(query, "erin"));
    }
  });

  it("a guest looks up one person by their whole address, and only an enabled user", async () => {
    const found = await search(`search=${encodeURIComponent("Alice@Contoso.example")}`, "erin");
    expect(found.status).toBe(200);
    expect(found.body.value).toEqual([
      {
        id: users.alice.id,
        displayName: users.alice.displayName,
        email: users.alice.email,
        userType: "Member",
      },
    ]);
    for (const address of ["gina@contoso.example", "nobody@contoso.example", "analysts@contoso.example"]) {
      const none = await search(`search=${encodeURIComponent(address)}`, "erin");
      expect(none.status, address).toBe(200);
      expect(none.body.value, address).toEqual([]);
    }
  });

  it("members search as before", async () => {
    const response = await search("search=contoso&top=25", "bob");
    expect(response.status).toBe(200);
    expect(response.body.value.length).toBeGreaterThan(3);
  });

  it("without the acct claim in the token, the caller's own userType in the directory decides", async () => {
    const guestToken = await app.identity.token("erin", { accountStatus: false });
    refused(await app.call(listUsers, { path: "/api/users?search=contoso", token: guestToken }));
    const memberToken = await app.identity.token("bob", { accountStatus: false });
    const member = await app.call(listUsers, { path: "/api/users?search=contoso", token: memberToken });
    expect(member.status).toBe(200);
    expect(member.body.value.length).toBeGreaterThan(0);
  });

  it("none refuses guests even an exact address; prefix lets them search as members do", async () => {
    for (const [setting, expected] of [
      ["none", 403],
      ["prefix", 200],
    ] as const) {
      const configured = await startTestApp({ settings: { USERS_GUEST_SEARCH: setting } });
      try {
        const exact = await configured.call(listUsers, {
          path: `/api/users?search=${encodeURIComponent("alice@contoso.example")}`,
          as: "erin",
        });
        expect(exact.status, setting).toBe(expected);
        const prefix = await configured.call(listUsers, { path: "/api/users?search=contoso", as: "erin" });
        expect(prefix.status, setting).toBe(expected);
        if (expected === 403) expect(prefix.body.code).toBe("guest_search_restricted");
        else expect(prefix.body.value.length).toBeGreaterThan(1);
      } finally {
        await configured.close();
      }
    }
  });
});

describe("GET /api/users over Microsoft Graph", () => {
  let testGraph: TestGraph;
  let graphApp: TestApp;
  beforeAll(async () => {
    testGraph = await startTestGraph();
    graphApp = await startTestApp({ services: { directory: createGraphDirectory(testGraph.config) } });
  });
  afterAll(async () => {
    await graphApp.close();
    await testGraph.close();
  });

  it("answers the same people as the dev directory", async () => {
    const response = await graphApp.call(listUsers, { path: "/api/users?search=Eri", as: "alice" });
    expect(response.status).toBe(200);
    expect(response.body.value).toEqual([
      { id: users.erin.id, displayName: users.erin.displayName, email: users.erin.email, userType: "Guest" },
    ]);
  });

  it("a Graph permission never consented is a 502 problem telling the operator what to grant", async () => {
    testGraph.graph.fail({ status: 403, pathPrefix: "/v1.0/users" });
    const response = await graphApp.call(listUsers, { path: "/api/users?search=alice", as: "alice" });
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.body).toMatchObject({ status: 502, code: "directory_permission_missing" });
    expect(response.body.detail).toContain("Directory.Read.All");
  });
});
