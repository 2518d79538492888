import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

import azureFunctions from "@azure/functions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { installFunctionsCore } from "../../local/host/functionsCore.js";
import { startupBanner } from "../../local/start.js";
import { type E2eHost, repoRoot, startE2eHost } from "../support/e2e.js";

/**
 * What the app can tell about the host it runs under, as Azure runs it: the production bundle
 * (package.json `main`) under the Node worker's contract, and the Functions host's routing.
 */

type HookContext = Record<string, unknown>;
const seen: Record<"appStart" | "appTerminate" | "preInvocation" | "postInvocation", HookContext[]> = {
  appStart: [],
  appTerminate: [],
  preInvocation: [],
  postInvocation: [],
};
let e2e: E2eHost;

beforeAll(async () => {
  // Hooks registered straight on the worker's core module, as the library registers the app's own:
  // they see the raw contexts the worker hands out.
  installFunctionsCore();
  const core = createRequire(import.meta.url)("@azure/functions-core") as {
    registerHook(name: string, callback: (context: HookContext) => void): unknown;
  };
  for (const name of Object.keys(seen) as (keyof typeof seen)[]) {
    core.registerHook(name, (context) => {
      seen[name].push(context);
    });
  }
  e2e = await startE2eHost();
});

afterAll(async () => {
  await e2e.stop();
});

/** The HTTP invocation lines logged while `act` ran (not the timer's or the queue's). */
async function invoked(act: () => Promise<unknown>): Promise<string> {
  const before = e2e.logs.length;
  await act();
  return e2e.logs
    .slice(before)
    .filter((line) => line.includes("Executed '") && / [A-Z]+ \/api\S* \d{3}$/.test(line))
    .join("\n");
}

describe("the app Azure runs", () => {
  test("the host loads package.json main, the production bundle, and the banner names it", () => {
    expect(e2e.local.entry).toBe(join(repoRoot, "dist", "bundle", "index.js"));
    expect(e2e.local.entryIsMain).toBe(true);
    expect(startupBanner(e2e.local, 1)).toContain(
      "function app            dist/bundle/index.js (package.json main: what Azure loads)",
    );
  });

  test("registering a function after start-up throws as in the worker, and serves nothing", async () => {
    expect(() => {
      azureFunctions.app.http("registeredLate", {
        route: "late",
        methods: ["GET"],
        handler: () => ({ status: 200 }),
      });
    }).toThrow("A function can only be registered during app startup.");
    expect(e2e.local.host.httpRoutes.map((route) => route.functionName)).not.toContain("registeredLate");
    expect((await fetch(`${e2e.url}/api/late`)).status).toBe(404);
  });

  test("appStart gets the app root as functionAppDirectory, and the worker's hookData and appHookData", () => {
    expect(seen.appStart).toHaveLength(1);
    const [start] = seen.appStart;
    expect(start?.functionAppDirectory).toBe(resolve(repoRoot));
    expect(start?.hookData).toEqual(expect.any(Object));
    expect(start?.appHookData).toEqual(expect.any(Object));
    expect(start?.hookData).not.toBe(start?.appHookData);
    expect(() => {
      if (start !== undefined) start.hookData = {};
    }).toThrow(TypeError);
  });

  test("invocation hooks share one hookData per invocation and the app's appHookData", async () => {
    seen.preInvocation.length = 0;
    seen.postInvocation.length = 0;
    expect((await fetch(`${e2e.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${e2e.url}/api/health`)).status).toBe(200);
    const [pre1, pre2] = seen.preInvocation;
    const [post1] = seen.postInvocation;
    const appHookData = seen.appStart[0]?.appHookData;
    expect(pre1?.appHookData).toBe(appHookData);
    expect(post1?.appHookData).toBe(appHookData);
    expect(post1?.hookData).toBe(pre1?.hookData);
    expect(pre2?.hookData).not.toBe(pre1?.hookData);
    expect(pre1?.hookData).not.toBe(seen.appStart[0]?.hookData);
    expect(post1?.result).toMatchObject({ status: 200 });
  });
});

describe("routing as Azure's host routes", () => {
  const problem = async (response: Response): Promise<unknown> => {
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    return await response.json();
  };

  test("a path segment holding a line feed reaches the function, since route parameters match any segment", async () => {
    const token = await e2e.token("alice");
    let response: Response | undefined;
    const lines = await invoked(async () => {
      response = await fetch(`${e2e.url}/api/processes/a%0Ab`, {
        headers: { authorization: `Bearer ${token}` },
      });
    });
    // The function's own answer to an id it refuses (problem+json with a code), not the host's empty 404.
    expect(lines).toContain("Executed 'getProcess'");
    expect(await problem(response!)).toMatchObject({ status: response?.status, code: expect.any(String) });
  });

  test("unknown routes under /api answer the API's 404 not_found problem, from the catch-all", async () => {
    for (const [method, path] of [
      ["GET", "/api"],
      ["GET", "/api/"],
      ["GET", "/api/nothing-here"],
      ["POST", "/api/processes/x/access/y/invitation/z"],
      ["DELETE", "/api/me/too"],
      ["GET", "/api/dev/mailbox"],
    ] as const) {
      let response: Response | undefined;
      const lines = await invoked(async () => {
        response = await fetch(`${e2e.url}${path}`, { method });
      });
      expect(response?.status, `${method} ${path}`).toBe(404);
      expect(await problem(response!)).toMatchObject({ status: 404, code: "not_found" });
      expect(response?.headers.get("cache-control")).toBe("no-store");
      expect(lines, `${method} ${path}`).toContain("Executed 'notFound'");
    }
  });

  test("HEAD on a GET-only function is 404 and the function does not run (azure-functions-host#11625)", async () => {
    let response: Response | undefined;
    const lines = await invoked(async () => {
      response = await fetch(`${e2e.url}/api/health`, { method: "HEAD" });
    });
    expect(response?.status).toBe(404);
    expect(response?.headers.get("allow")).toBeNull();
    expect(lines).not.toContain("Executed 'getHealth'");
    expect(lines).toContain("Executed 'notFound'");
  });

  test("the catch-all never shadows a function: literal segments win, whatever the order of registration", async () => {
    const order = e2e.local.host.httpRoutes.map((route) => route.functionName);
    expect(order.at(-1)).toBe("notFound");
    for (const path of ["/api/health", "/api/openapi.json"]) {
      const lines = await invoked(async () => {
        expect((await fetch(`${e2e.url}${path}`)).status, path).toBe(200);
      });
      expect(lines).not.toContain("Executed 'notFound'");
    }
  });

  test("a CORS preflight is answered by the platform, on a function's route as on an unknown one; a plain OPTIONS reaches the catch-all", async () => {
    for (const path of [`/api/processes/${randomUUID()}`, "/api/processes", "/api/nothing-here"]) {
      let response: Response | undefined;
      const lines = await invoked(async () => {
        response = await fetch(`${e2e.url}${path}`, {
          method: "OPTIONS",
          headers: { origin: "http://localhost:3000", "access-control-request-method": "PATCH" },
        });
      });
      expect(response?.status, path).toBe(204);
      expect(response?.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
      expect(lines, path).toBe("");
    }
    const plain = await fetch(`${e2e.url}/api/processes`, { method: "OPTIONS" });
    expect(plain.status).toBe(404);
    expect(await problem(plain)).toMatchObject({ code: "not_found" });
  });
});

describe("stopping", () => {
  test("appTerminate gets the same hookData and appHookData as appStart", async () => {
    await e2e.stop();
    expect(seen.appTerminate).toHaveLength(1);
    expect(seen.appTerminate[0]?.hookData).toBe(seen.appStart[0]?.hookData);
    expect(seen.appTerminate[0]?.appHookData).toBe(seen.appStart[0]?.appHookData);
  });
});
