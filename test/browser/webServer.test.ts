import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, expect, test } from "vitest";

import { type LocalHost, startupBanner } from "../../local/start.js";
import { fileFor, type RunningWebServer, startWebServer } from "../../local/webServer.js";

/** The local web server that `npm start` puts in front of the built web app. */

let root: string;
let web: RunningWebServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "web-root-"));
  await mkdir(join(root, "assets"));
  await writeFile(join(root, "index.html"), "<!doctype html><title>app</title>");
  await writeFile(join(root, "assets", "app-123.js"), "console.log(1)");
  await writeFile(join(tmpdir(), "web-secret.txt"), "secret");
  web = await startWebServer({ root, apiBaseUrl: "http://localhost:7071", port: 0 });
});

afterAll(async () => {
  await web.stop();
  await rm(root, { recursive: true, force: true });
  await rm(join(tmpdir(), "web-secret.txt"), { force: true });
});

/** A raw GET, so that the path reaches the server exactly as written (fetch would normalize `..`). */
function get(
  path: string,
  method = "GET",
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: web.port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

test("config.json tells the app where the API is and offers the enabled dev users only", async () => {
  const answer = await get("/config.json");
  expect(answer.status).toBe(200);
  const config = JSON.parse(answer.body);
  expect(config.apiBaseUrl).toBe("http://localhost:7071");
  expect(config.auth.mode).toBe("dev");
  const aliases = config.auth.users.map((user: any) => user.alias);
  expect(aliases).toEqual(expect.arrayContaining(["alice", "bob", "erin", "dave"]));
  expect(aliases).not.toContain("gina");
  expect(config.auth.users.find((user: any) => user.alias === "erin").userType).toBe("Guest");
});

test("the app's own routes (an invitation's link) get index.html; assets are served, immutable", async () => {
  const route = await get("/processes/3f0c/analytics");
  expect(route.status).toBe(200);
  expect(route.body).toContain("<title>app</title>");
  const asset = await get("/assets/app-123.js");
  expect(asset.status).toBe(200);
  expect(asset.headers["content-type"]).toMatch(/^text\/javascript/);
  expect(asset.headers["cache-control"]).toMatch(/immutable/);
  expect((await get("/assets/missing.js")).status).toBe(404);
});

test("every answer forbids framing and limits scripts to the app and calls to the API", async () => {
  const answer = await get("/");
  const policy = String(answer.headers["content-security-policy"]);
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain("connect-src 'self' http://localhost:7071");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(answer.headers["x-content-type-options"]).toBe("nosniff");
});

test("paths that climb out of the app's folder are refused; only GET and HEAD are served", async () => {
  expect(fileFor(root, "/../web-secret.txt")).toBeUndefined();
  expect(fileFor(root, "/%2e%2e/web-secret.txt")).toBeUndefined();
  expect(fileFor(root, "/assets/%00x")).toBeUndefined();
  for (const path of ["/../web-secret.txt", "/%2e%2e/web-secret.txt", "/assets/..%2f..%2fweb-secret.txt"]) {
    const answer = await get(path);
    expect(answer.body, path).not.toContain("secret");
  }
  expect((await get("/", "POST")).status).toBe(405);
  expect((await get("/", "HEAD")).status).toBe(200);
});

test("npm start's banner names the web app first", () => {
  const local = {
    url: "http://localhost:7071",
    entry: join(process.cwd(), "dist", "functions", "index.js"),
    host: { httpRoutes: [], queues: [], timers: [] },
    identityProvider: {
      issuer: "http://localhost:7071/dev/identity",
      tokenEndpoint: "http://localhost:7071/dev/identity/token",
    },
    mailbox: { basePath: "/dev/mailbox" },
    azurite: { started: true },
  } as unknown as LocalHost;
  const lines = startupBanner(local, 1, "http://localhost:3000")
    .split("\n")
    .filter((line) => line !== "");
  expect(lines[0]).toMatch(/^Web app: http:\/\/localhost:3000 /);
});
