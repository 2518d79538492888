import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";

import azureFunctions from "@azure/functions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { loadFunctionApp, type RegisteredFunction } from "../../local/host/functionsCore.js";
import { PortInUseError, type RunningHttpHost, startHttpHost } from "../../local/host/httpServer.js";
import { received } from "./fixtures/app.js";

const entry = fileURLToPath(new URL("./fixtures/app.ts", import.meta.url));
const lines: string[] = [];
let functions: RegisteredFunction[];
let host: RunningHttpHost;

beforeAll(async () => {
  functions = await loadFunctionApp(entry);
  host = await startHttpHost({
    functions,
    routePrefix: "api",
    port: 0,
    log: (line) => lines.push(line),
    corsAllowedOrigins: ["http://localhost:3000"],
    maxRequestBodyBytes: 1024,
    extraRoutes: [
      async (_req, res, pathname) => {
        if (pathname !== "/dev/ping") return false;
        res.writeHead(200, { "content-type": "text/plain" }).end("pong");
        return await Promise.resolve(true);
      },
    ],
  });
});

afterAll(async () => {
  await host.close();
});

const invocationLines = (id: string): string[] =>
  lines.filter((line) => line.includes("Executed") && line.includes(id));

describe("routing", () => {
  test("a typed segment routes to the function whose constraint it satisfies", async () => {
    const id = "3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01";
    const byId = await fetch(`${host.url}/api/processes/${id}`);
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual({ id, kind: "byId" });
    expect(await (await fetch(`${host.url}/API/PROCESSES`)).json()).toEqual({ kind: "list" });
    expect(await (await fetch(`${host.url}/api/processes/7/report/2024`)).json()).toEqual({
      id: "7",
      year: "2024",
    });
    expect(await (await fetch(`${host.url}/api/processes/7/report`)).json()).toEqual({ id: "7", year: null });
  });

  test("a value that fails every constraint is 404, as is an unknown path or a missing prefix", async () => {
    expect((await fetch(`${host.url}/api/processes/not-a-guid`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/processes/0/report`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.url}/processes`)).status).toBe(404);
  });

  test("a known route with a method it does not accept is an empty 404 without Allow, as in Azure (azure-functions-host#10098)", async () => {
    const response = await fetch(`${host.url}/api/processes`, { method: "DELETE" });
    expect(response.status).toBe(404);
    expect(response.headers.get("allow")).toBeNull();
    expect(await response.text()).toBe("");
  });

  test("HEAD on a GET-only function is 404 and the function does not run (azure-functions-host#11625)", async () => {
    const before = lines.length;
    const response = await fetch(`${host.url}/api/processes`, { method: "HEAD" });
    expect(response.status).toBe(404);
    expect(lines.slice(before).filter((line) => line.includes("Executed 'listProcesses'"))).toEqual([]);
  });

  test("a route parameter matches any segment: a line feed, an encoded slash kept encoded, a stray percent sign", async () => {
    for (const [segment, name] of [
      ["a%0Ab", "a\nb"],
      ["a%2Fb", "a%2Fb"],
      ["100%25%ZZ", "100%%ZZ"],
    ]) {
      const response = await fetch(`${host.url}/api/echo/${segment}`);
      expect(response.status, segment).toBe(200);
      expect(((await response.json()) as { params: unknown }).params, segment).toEqual({ name });
    }
  });

  test("a catch-all parameter receives the rest of the path", async () => {
    expect(await (await fetch(`${host.url}/api/files/a/b/c.txt`)).json()).toEqual({ rest: "a/b/c.txt" });
  });

  test("extra routes are served before the function routes", async () => {
    const response = await fetch(`${host.url}/dev/ping`);
    expect(await response.text()).toBe("pong");
  });
});

describe("requests and responses", () => {
  test("the function gets a real HttpRequest: url, method, params, repeated query values, headers, cookies, body", async () => {
    const response = await fetch(`${host.url}/api/echo/alice?tag=a&tag=b&x=1`, {
      method: "POST",
      headers: { "x-custom": "yes", cookie: "session=abc; theme=dark", "content-type": "text/plain" },
      body: "hello body",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const seen = (await response.json()) as Record<string, unknown>;
    expect(seen).toMatchObject({
      method: "POST",
      url: `${host.url}/api/echo/alice?tag=a&tag=b&x=1`,
      params: { name: "alice" },
      tags: ["a", "b"],
      custom: "yes",
      cookie: "session=abc; theme=dark",
      body: "hello body",
      functionName: "echo",
      triggerType: "httpTrigger",
    });
  });

  test("status, headers and cookies of an HttpResponseInit reach the client", async () => {
    const response = await fetch(`${host.url}/api/cookies`, { method: "POST" });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-answer")).toBe("42");
    expect(response.headers.get("location")).toBe("/api/things/1");
    expect(response.headers.getSetCookie()).toEqual([
      "session=abc; Path=/; HttpOnly; SameSite=Strict",
      "theme=dark; Max-Age=60",
    ]);
    expect(await response.text()).toBe("created");
  });

  test("a streamed HttpResponse body and a Buffer body arrive whole", async () => {
    expect(await (await fetch(`${host.url}/api/streamed`)).text()).toBe("one,two,three");
    const binary = await fetch(`${host.url}/api/binary`);
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([0, 1, 2, 255]);
  });

  test("a body over the size limit is refused with 413 before the function runs", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${host.url}/api/echo`,
        { method: "POST", headers: { "content-type": "text/plain" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("x".repeat(4096));
    });
    expect(status).toBe(413);
  });

  test("a function that throws answers a bare 500 and is logged as failed", async () => {
    const response = await fetch(`${host.url}/api/broken`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("");
    const failed = lines.filter((line) => line.includes("Executed 'broken' (Failed"));
    expect(failed).toHaveLength(1);
    expect(
      lines.some((line) => line.includes("[broken]") && line.includes("this function always throws")),
    ).toBe(true);
  });
});

describe("invocations", () => {
  test("each invocation gets its own context and exactly one log line with function, id, status and duration", async () => {
    const first = (await (await fetch(`${host.url}/api/echo/one`)).json()) as { invocationId: string };
    const second = (await (await fetch(`${host.url}/api/echo/two`)).json()) as { invocationId: string };
    expect(first.invocationId).not.toBe(second.invocationId);
    for (const id of [first.invocationId, second.invocationId]) {
      const executed = invocationLines(id);
      expect(executed).toHaveLength(1);
      expect(executed[0]).toMatch(
        new RegExp(
          `^\\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] Executed 'echo' \\(Succeeded, Id=${id}, Duration=\\d+ms\\) GET /api/echo/\\w+ 200$`,
        ),
      );
      expect(lines.filter((line) => line.includes(`[echo] [${id}] information: echo called`))).toHaveLength(
        1,
      );
    }
  });

  test("a failing preInvocation hook fails the invocation: neither the handler nor postInvocation runs", async () => {
    const after: string[] = [];
    const refuse = azureFunctions.app.hook.preInvocation((context) => {
      if (context.invocationContext.functionName === "binary") throw new Error("refused by a hook");
    });
    const record = azureFunctions.app.hook.postInvocation((context) => {
      after.push(context.invocationContext.functionName);
    });
    try {
      const before = lines.length;
      expect((await fetch(`${host.url}/api/binary`)).status).toBe(500);
      expect(lines.slice(before).join("\n")).toContain("Executed 'binary' (Failed");
      expect(after).toEqual([]);
      expect((await fetch(`${host.url}/api/streamed`)).status).toBe(200);
      expect(after).toEqual(["streamed"]);
    } finally {
      refuse.dispose();
      record.dispose();
    }
  });

  test("a postInvocation hook may replace an error with a result, as in the worker", async () => {
    const recover = azureFunctions.app.hook.postInvocation((context) => {
      if (context.invocationContext.functionName !== "broken") return;
      context.error = null;
      context.result = { status: 299, body: "recovered" };
    });
    try {
      const response = await fetch(`${host.url}/api/broken`);
      expect(response.status).toBe(299);
      expect(await response.text()).toBe("recovered");
    } finally {
      recover.dispose();
    }
  });

  test("preInvocation hooks run for every invocation", async () => {
    const before = received.hookedInvocations.filter((name) => name === "listProcesses").length;
    await fetch(`${host.url}/api/processes`);
    expect(received.hookedInvocations.filter((name) => name === "listProcesses")).toHaveLength(before + 1);
  });
});

describe("CORS", () => {
  test("a configured origin is allowed and its preflight is answered by the host", async () => {
    const preflight = await fetch(`${host.url}/api/echo`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    const actual = await fetch(`${host.url}/api/echo`, { headers: { origin: "http://localhost:3000" } });
    expect(actual.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
  });

  test("another origin gets no CORS headers and its preflight is refused", async () => {
    const preflight = await fetch(`${host.url}/api/echo`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const actual = await fetch(`${host.url}/api/echo`, { headers: { origin: "https://evil.example" } });
    expect(actual.headers.get("access-control-allow-origin")).toBeNull();
  });
});

test("without allowed origins the host leaves a preflight alone: it is routed like any other request", async () => {
  const bare = await startHttpHost({ functions, routePrefix: "api", port: 0, log: () => undefined });
  try {
    const preflight = await fetch(`${bare.url}/api/echo`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" },
    });
    // No function of the fixture takes OPTIONS: the host's empty 404, as in Azure without CORS.
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  } finally {
    await bare.close();
  }
});

test("a port already in use is a PortInUseError naming the port", async () => {
  const second = startHttpHost({ functions, routePrefix: "api", port: host.port, log: () => undefined });
  await expect(second).rejects.toBeInstanceOf(PortInUseError);
  await expect(second).rejects.toThrow(`Port ${host.port} is already in use.`);
});
