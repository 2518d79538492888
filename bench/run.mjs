// @ts-check
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { build } from "esbuild";

/**
 * `npm run bench` (after `npm run build`, which the unbundled cold-start baseline and the host
 * need): compiles the bench's TypeScript with esbuild into dist/bench/, dependencies left to
 * node_modules, then runs it. Arguments pass through (--duration 10 --latency 5 --only http,...).
 */

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entries = ["main", "load", "hostProcess", "importTime", "invitations"]
  .map((name) => join("bench", `${name}.ts`))
  .filter((file) => existsSync(join(appRoot, file)));

await build({
  absWorkingDir: appRoot,
  entryPoints: entries,
  outdir: join(appRoot, "dist", "bench"),
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
});
await import(pathToFileURL(join(appRoot, "dist", "bench", "main.js")).href);
