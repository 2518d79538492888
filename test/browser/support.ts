import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { build } from "vite";

import { reservePort } from "../../local/azurite.js";
import { devMailboxAccessKey } from "../../local/mailbox.js";
import { type RunningWebServer, startWebServer } from "../../local/webServer.js";
import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import { type E2eHost, repoRoot, startE2eHost } from "../support/e2e.js";

/**
 * The browser tier's world: the web app built by Vite, served by the local web server on its own
 * loopback origin, the whole service behind it (the e2e host: Azurite, dev identity provider,
 * dev mailbox), and Debian's Chromium driven by playwright-core.
 */

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
/** Where the run writes a screenshot of each screen (git-ignored; docs/screenshots has the chosen ones). */
export const screenshotDir = join(repoRoot, "test-results", "screenshots");

/** Builds the web app into a fresh folder; `npm test` never depends on an earlier `npm run build`. */
export async function buildWebApp(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "web-build-"));
  await build({
    configFile: join(repoRoot, "web", "vite.config.ts"),
    logLevel: "error",
    build: { outDir: dir, emptyOutDir: true },
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A stand-in in front of the mail service that holds each send until released: the invitation
 * stays pending exactly as long as the test wants, then goes through to the dev mailbox unchanged
 * (the Host header is kept, so the HMAC signature still verifies).
 */
export interface MailGate {
  readonly endpoint: string;
  target: string;
  hold(): void;
  release(): void;
  stop(): Promise<void>;
}

export async function startMailGate(): Promise<MailGate> {
  let held = false;
  let waiting: (() => void)[] = [];
  const gate: MailGate = {
    endpoint: "",
    target: "",
    hold() {
      held = true;
    },
    release() {
      held = false;
      const resume = waiting;
      waiting = [];
      for (const go of resume) go();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  const server: Server = createServer((req, res) => {
    const forward = (): void => {
      const target = new URL(req.url ?? "/", gate.target);
      const upstream = httpRequest(
        target,
        { method: req.method ?? "GET", headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    };
    const isSend = (req.method ?? "") === "POST" && (req.url ?? "").startsWith("/emails:send");
    if (held && isSend) waiting.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  Object.assign(gate, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  return gate;
}

export interface BrowserWorld {
  readonly e2e: E2eHost;
  readonly web: RunningWebServer;
  readonly browser: Browser;
  readonly mail: MailGate;
  /** A new browser profile (its own session storage) signed in as a dev user. */
  signIn(alias: string): Promise<{ context: BrowserContext; page: Page }>;
  stop(): Promise<void>;
}

export async function startBrowserWorld(): Promise<BrowserWorld> {
  const [built, mail, reserved] = await Promise.all([buildWebApp(), startMailGate(), reservePort()]);
  const webOrigin = `http://localhost:${reserved.port}`;
  const e2e = await startE2eHost({
    settings: {
      CORS_ALLOWED_ORIGINS: webOrigin,
      APP_BASE_URL: webOrigin,
      EMAIL_CONNECTION_STRING: `endpoint=${mail.endpoint};accesskey=${devMailboxAccessKey}`,
    },
  });
  mail.target = e2e.url;
  await reserved.release();
  const web = await startWebServer({ root: built.dir, apiBaseUrl: e2e.url, port: reserved.port });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  await mkdir(screenshotDir, { recursive: true });
  const contexts: BrowserContext[] = [];

  return {
    e2e,
    web,
    browser,
    mail,
    async signIn(alias) {
      // bypassCSP only so that axe-core can be injected; the app itself runs under the server's CSP.
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
      contexts.push(context);
      // Long enough for a loaded machine, short enough that a missing element fails with its locator's name.
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(web.url);
      await page.getByRole("button", { name: `Sign in as ${displayName(alias)}` }).click();
      await page.getByRole("heading", { name: "Processes" }).waitFor();
      return { context, page };
    },
    async stop() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await web.stop();
      await e2e.stop();
      await mail.stop();
      await built.remove();
    },
  };
}

const directory = readDevDirectory();

export function displayName(alias: string): string {
  const user = directory.users.find((candidate) => candidate.alias === alias);
  if (user === undefined) throw new Error(`no dev user ${alias}`);
  return user.displayName;
}

export function userId(alias: string): string {
  const user = directory.users.find((candidate) => candidate.alias === alias);
  if (user === undefined) throw new Error(`no dev user ${alias}`);
  return user.id;
}

let axeSource: string | undefined;

/** axe-core run in the page: the serious and critical violations, described. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  axeSource ??= await readFile(join(repoRoot, "node_modules", "axe-core", "axe.min.js"), "utf8");
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<any> } })
      .axe;
    // Tabster's focus sentinels (Fluent UI's focus trap): aria-hidden on purpose, they hand focus on at once.
    const result = await axe.run(
      { include: [["body"]], exclude: [["[data-tabster-dummy]"]] },
      { resultTypes: ["violations"] },
    );
    return (result.violations as any[]).map((violation) => ({
      id: violation.id as string,
      impact: violation.impact as string,
      help: violation.help as string,
      targets: (violation.nodes as any[]).slice(0, 3).map((node) => JSON.stringify(node.target)),
    }));
  });
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} at ${violation.targets.join(", ")}`,
    );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
