import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { chromium } from "playwright-core";

import { startWebServer } from "../local/webServer.js";
import type { Figure } from "./setup.js";

/**
 * The web app (dist/web, written by `npm run build`): the JavaScript a first visit downloads before
 * anything shows (the entry script and its module preloads, gzipped; chunks loaded later, such as
 * MSAL, are not counted), and the time from navigation to the first screen in Debian's Chromium
 * over loopback, each load in a fresh profile (nothing cached).
 */

const loads = 10;
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** The scripts index.html loads at once: its module entry and the chunks it preloads. */
export function initialScripts(indexHtml: string): string[] {
  const entries = [...indexHtml.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map(
    (match) => match[1]!,
  );
  const preloads = [...indexHtml.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map(
    (match) => match[1]!,
  );
  return [...new Set([...entries, ...preloads])];
}

export async function measureWeb(appRoot: string): Promise<Figure[]> {
  const root = join(appRoot, "dist", "web");
  const indexHtml = await readFile(join(root, "index.html"), "utf8");
  const scripts = initialScripts(indexHtml);
  let raw = 0;
  let gzipped = 0;
  for (const script of scripts) {
    const bytes = await readFile(join(root, script.replace(/^\//, "")));
    raw += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  const figures: Figure[] = [
    {
      section: "web",
      name: "initial JavaScript, gzipped",
      value: Math.round(gzipped / 1024),
      unit: "KiB",
      target: "<= 250 KiB",
      met: gzipped <= 250 * 1024,
      note: `${scripts.length} file(s), ${Math.round(raw / 1024)} KiB before gzip; MSAL loads only for Entra sign-in`,
    },
  ];
  if (!existsSync(chromiumPath)) {
    figures.push({
      section: "web",
      name: "first screen on loopback (median)",
      value: Number.NaN,
      unit: "ms",
      target: "reported",
      note: `${chromiumPath} is missing (apt-get install chromium)`,
    });
    return figures;
  }
  const web = await startWebServer({ root, apiBaseUrl: "http://localhost:9", port: 0 });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const times: number[] = [];
  try {
    for (let index = 0; index < loads + 1; index += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(web.url, { waitUntil: "commit" });
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      // From the navigation's start to the first screen drawn by the app, as the page's own clock tells.
      const ms = await page.evaluate(() => performance.now());
      await context.close();
      if (index > 0) times.push(ms); // the first load warms Chromium itself, not the app
    }
  } finally {
    await browser.close();
    await web.stop();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  figures.push({
    section: "web",
    name: "first screen on loopback (median)",
    value: Math.round(median),
    unit: "ms",
    target: "<= 1000 ms",
    met: median <= 1000,
    note: `${loads} loads in fresh profiles, nothing cached; fastest ${Math.round(times[0]!)} ms, slowest ${Math.round(times[times.length - 1]!)} ms`,
  });
  return figures;
}
