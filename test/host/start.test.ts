import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, expect, inject, test } from "vitest";

import { freePort } from "../../local/azurite.js";
import { installFunctionsCore } from "../../local/host/functionsCore.js";
import { MissingBuildError } from "../../local/host/host.js";
import { PortInUseError } from "../../local/host/httpServer.js";
import { type LocalHost, startFailureLine, startLocalHost, startupBanner } from "../../local/start.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const entry = join(fixtures, "app.ts");
const lines: string[] = [];
let local: LocalHost;
let appRoot: string;
const appStartContexts: Record<string, unknown>[] = [];

beforeAll(async () => {
  // An app folder with the fixture's host.json and a settings file written for port 7071.
  appRoot = mkdtempSync(join(tmpdir(), "local-host-"));
  writeFileSync(
    join(appRoot, "host.json"),
    JSON.stringify({ version: "2.0", extensions: { http: { routePrefix: "api" } } }),
  );
  writeFileSync(
    join(appRoot, "local.settings.json"),
    JSON.stringify({
      IsEncrypted: false,
      Values: {
        HostTestStorage: "UseDevelopmentStorage=true",
        HOST_TEST_WORK_QUEUE: "startwork",
        HOST_TEST_FAILING_QUEUE: "startfailing",
        AUTH_TENANT_ID: "7f1f7d5e-4c59-4c1e-9a3c-0d6f1b2a9e10",
        AUTH_CLIENT_ID: "3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01",
        AUTH_ISSUER: "http://localhost:7071/dev/identity",
        CORS_ALLOWED_ORIGINS: "http://localhost:3000",
      },
    }),
  );
  writeFileSync(
    join(appRoot, "package.json"),
    JSON.stringify({ type: "module", main: "dist/bundle/index.js" }),
  );
  installFunctionsCore();
  const core = createRequire(import.meta.url)("@azure/functions-core") as {
    registerHook(name: string, callback: (context: Record<string, unknown>) => void): unknown;
  };
  core.registerHook("appStart", (context) => {
    appStartContexts.push(context);
  });
  local = await startLocalHost({
    appRoot,
    entry,
    port: 0,
    azurite: { connectionString: inject("azuriteConnectionString") },
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await local.stop();
});

test("the settings file fills the environment, moved to the chosen port, with UseDevelopmentStorage meaning this Azurite", () => {
  expect(local.settingsFile).toBe(join(appRoot, "local.settings.json"));
  expect(process.env.AUTH_ISSUER).toBe(`http://localhost:${local.port}/dev/identity`);
  expect(process.env.HostTestStorage).toBe(inject("azuriteConnectionString"));
});

test("functions, the dev identity provider and the dev mailbox answer on one port", async () => {
  const echo = await fetch(`${local.url}/api/echo/start`);
  expect(((await echo.json()) as { params: unknown }).params).toEqual({ name: "start" });

  const discovery = await fetch(`${local.url}/dev/identity/.well-known/openid-configuration`);
  expect(((await discovery.json()) as { issuer: string }).issuer).toBe(`${local.url}/dev/identity`);

  const token = await fetch(`${local.url}/dev/identity/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: "alice" }),
  });
  expect(token.status).toBe(200);

  const mailbox = await fetch(`${local.url}/dev/mailbox`, { headers: { accept: "application/json" } });
  expect(await mailbox.json()).toEqual({ value: [] });
  expect((await fetch(`${local.url}/emails:send`, { method: "POST" })).status).toBe(401);
});

test("the queue triggers run against the given Azurite and CORS comes from the settings", async () => {
  expect(local.host.queues.map((queue) => queue.queueName).sort()).toEqual(["startfailing", "startwork"]);
  const preflight = await fetch(`${local.url}/api/echo`, {
    method: "OPTIONS",
    headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" },
  });
  expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
});

test("appStart gets the app root (where host.json is) as functionAppDirectory, not the entry's folder", () => {
  expect(appStartContexts.map((context) => context.functionAppDirectory)).toEqual([appRoot]);
});

test("the banner lists every HTTP function with its URL and a curl walk-through", () => {
  const banner = startupBanner(local, 1.25);
  for (const route of local.host.httpRoutes) expect(banner).toContain(`${local.url}/${route.route}`);
  expect(banner).toContain(`curl -s -X POST ${local.url}/dev/identity/token`);
  expect(banner).toContain(`curl -s ${local.url}/dev/mailbox`);
  expect(banner).toContain(`Ready in 1.3 s on ${local.url}`);
  expect(banner).toContain(`function app            test/host/fixtures/app.ts\n`);
});

test("a port in use fails before anything starts, with one clear line", async () => {
  const blocker = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
  try {
    const attempt = startLocalHost({
      appRoot,
      entry,
      port,
      azurite: { connectionString: "unused" },
      log: () => undefined,
    });
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    const error: unknown = await attempt.catch((caught: unknown) => caught);
    expect(startFailureLine(error, port)).toBe(
      `Port ${port} is already in use (another npm start?): stop it, or choose another port with PORT=${port + 1} npm start.`,
    );
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test("by default the app is package.json main, as in Azure; a missing build is one line that says to build", async () => {
  const missing = join(appRoot, "dist", "bundle", "index.js");
  const attempt = startLocalHost({
    appRoot,
    port: 0,
    azurite: { connectionString: inject("azuriteConnectionString") },
    log: () => undefined,
  });
  await expect(attempt).rejects.toBeInstanceOf(MissingBuildError);
  const error: unknown = await attempt.catch((caught: unknown) => caught);
  expect(startFailureLine(error, 7071)).toBe(`${missing} is missing: run npm run build first.`);
});

test("an app folder whose package.json has no main is one line that says so", async () => {
  const bare = mkdtempSync(join(tmpdir(), "local-host-"));
  writeFileSync(join(bare, "package.json"), JSON.stringify({ type: "module" }));
  const attempt = startLocalHost({
    appRoot: bare,
    port: 0,
    azurite: { connectionString: inject("azuriteConnectionString") },
    log: () => undefined,
  });
  const error: unknown = await attempt.catch((caught: unknown) => caught);
  expect(startFailureLine(error, 7071)).toBe(
    `${join(bare, "package.json")} has no "main": the Azure host would load no functions.`,
  );
});
