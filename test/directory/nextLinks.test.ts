import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listUsers } from "../../functions/users.js";
import { createGraphDirectory, type GraphDirectoryOptions } from "../../shared/directory/graphDirectory.js";
import { BadGatewayError } from "../../shared/errors.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { startTestGraph, testApiServicePrincipalId, type TestGraph } from "../support/graph.js";

/**
 * The people picker hands out no continuation token of its own, and the Graph adapter follows a
 * `@odata.nextLink` only on the configured Graph host: the app's bearer token never goes to a
 * host that a next link (from Graph, or anything standing between) names.
 */

let testGraph: TestGraph;
/** Another loopback host, recording what reaches it and with which Authorization header. */
let elsewhere: Server;
let elsewhereUrl: string;
const reachedElsewhere: { url: string; authorization: string | undefined }[] = [];

beforeAll(async () => {
  testGraph = await startTestGraph({ pageSize: 1 });
  elsewhere = createServer((request, response) => {
    reachedElsewhere.push({ url: request.url ?? "", authorization: request.headers.authorization });
    response.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}');
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await testGraph.close();
  await new Promise((resolve) => elsewhere.close(resolve));
});

/** Graph's answers with every `@odata.nextLink` moved to `origin`, its path and query kept. */
function nextLinksTo(origin: string): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const text = await response.clone().text();
    if (!text.includes("@odata.nextLink")) return response;
    const body = JSON.parse(text) as Record<string, unknown>;
    const link = new URL(String(body["@odata.nextLink"]));
    body["@odata.nextLink"] = `${origin}${link.pathname}${link.search}`;
    return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
  };
}

const fast: GraphDirectoryOptions = { retry: { baseDelayMs: 5 }, warn: () => undefined };

describe("Graph next links", () => {
  it("are followed on the Graph host: a search of more people than a page gathers every page", async () => {
    const directory = createGraphDirectory(testGraph.config, fast);
    const found = await directory.search("contoso", 3);
    expect(found).toHaveLength(3);
    expect(testGraph.graph.graphRequests("/v1.0/users").length).toBeGreaterThan(1);
  });

  it("naming another host are not followed: the search fails as a directory error and no token leaves", async () => {
    reachedElsewhere.length = 0;
    const directory = createGraphDirectory(testGraph.config, { ...fast, fetch: nextLinksTo(elsewhereUrl) });
    const failure = await directory.search("contoso", 3).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadGatewayError);
    expect((failure as BadGatewayError).code).toBe("directory_request_failed");
    expect(reachedElsewhere).toEqual([]);
  });

  it("naming another host are not followed when the administrators are listed either", async () => {
    reachedElsewhere.length = 0;
    const directory = createGraphDirectory(
      { ...testGraph.config, apiServicePrincipalId: testApiServicePrincipalId },
      { ...fast, fetch: nextLinksTo(elsewhereUrl) },
    );
    await directory.getUsers(["00000000-0000-0000-0000-000000000001"]).catch(() => undefined);
    await directory.search("alice", 1).catch(() => undefined);
    expect(reachedElsewhere).toEqual([]);
  });
});

describe("GET /api/users paging", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it("hands out no continuation token, however many match", async () => {
    const response = await app.call(listUsers, { as: "alice", path: "/api/users?search=contoso&top=1" });
    expect(response.status).toBe(200);
    expect(response.body.value).toHaveLength(1);
    expect(Object.keys(response.body)).toEqual(["value"]);
  });

  it("refuses a continuation token, a skip token or a next link handed back to it", async () => {
    for (const parameter of [
      "continuationToken=eyJwYWdlIjoiMSJ9",
      "$skiptoken=1",
      `nextLink=${encodeURIComponent(`${elsewhereUrl}/v1.0/users`)}`,
    ]) {
      const response = await app.call(listUsers, {
        as: "alice",
        path: `/api/users?search=contoso&${parameter}`,
      });
      expect([response.status, response.body.code], parameter).toEqual([400, "validation_failed"]);
    }
  });
});
