// @ts-check
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

import { build } from "esbuild";

/**
 * The production bundle, and what deployment ships: every function file and every dependency in
 * one minified ES module, except `@azure/functions` (its `app` registry must be the host's one) and
 * `@azure/functions-core` (provided by the Azure Node worker at run time).
 * `npm run bundle` writes dist/bundle/index.js; the benchmark builds it with this same function, and
 * the test run (test/support/globalSetup.ts) with `ensureBundle`, only when a source changed.
 */

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const bundleDir = join(appRoot, "dist", "bundle");
export const bundleEntry = join(bundleDir, "index.js");

/**
 * zod re-exports its 40-odd message locales from `zod/v4/locales/index.js` (a quarter of a MB) while
 * the app only ever uses English, the default: this resolves that index to English alone.
 * @type {import("esbuild").Plugin}
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(plugin) {
    plugin.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: "zod-locales", namespace: "zod-english-only" }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: "zod-english-only" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: appRoot,
      loader: "js",
    }));
  },
};

/**
 * What a cold start loads: the entry and every chunk it imports statically, transitively (not the
 * chunks behind a dynamic `import()`).
 * @param {import("esbuild").Metafile["outputs"]} outputs
 */
function startupBytes(outputs, entry) {
  const seen = new Set();
  const visit = (/** @type {string} */ file) => {
    if (seen.has(file) || outputs[file] === undefined) return;
    seen.add(file);
    for (const imported of outputs[file].imports)
      if (imported.kind === "import-statement") visit(imported.path);
  };
  visit(entry);
  return [...seen].reduce((sum, file) => sum + (outputs[file]?.bytes ?? 0), 0);
}

/**
 * `bytes` is what a cold start loads (the entry and its static imports); `totalBytes` adds the chunks loaded on first use.
 * @returns {Promise<{ file: string, bytes: number, totalBytes: number, milliseconds: number }>}
 */
export async function buildBundle() {
  const started = performance.now();
  // What the inputs' times are compared with: a file changed while esbuild runs makes the next check stale.
  const startedAt = Date.now();
  // Written beside and swapped in whole, so that a host running the previous bundle, or a second
  // build at the same time, never sees a half-written folder.
  const nextDir = `${bundleDir}.next-${process.pid}-${startedAt}`;
  await mkdir(nextDir, { recursive: true });
  let result;
  try {
    result = await build({
      absWorkingDir: appRoot,
      entryPoints: { index: "functions/index.ts" },
      outdir: nextDir,
      // What only Azure needs (managed identity, the Graph directory's msal) loads on first use, from chunks.
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      minify: true,
      legalComments: "none",
      external: ["@azure/functions", "@azure/functions-core"],
      // Bundled CommonJS dependencies call require() for Node built-ins, which an ES module lacks.
      banner: { js: 'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);' },
      plugins: [zodEnglishOnly],
      metafile: true,
      logLevel: "warning",
    });
    // The bundle is an ES module whatever the surrounding package.json says.
    await writeFile(join(nextDir, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
    await writeFile(join(nextDir, "meta.json"), JSON.stringify({ ...result.metafile, startedAt }));
    const previousDir = `${bundleDir}.previous-${process.pid}-${startedAt}`;
    if (existsSync(bundleDir)) await rename(bundleDir, previousDir);
    await rename(nextDir, bundleDir).catch((/** @type {unknown} */ error) => {
      // Another build swapped its folder in meanwhile: built from the same sources, it stands.
      if (!existsSync(bundleEntry)) throw error;
    });
    await rm(previousDir, { recursive: true, force: true });
  } finally {
    await rm(nextDir, { recursive: true, force: true });
  }
  const outputs = result.metafile.outputs;
  const totalBytes = Object.values(outputs).reduce((sum, output) => sum + output.bytes, 0);
  const entryKey = relative(appRoot, join(nextDir, "index.js")).split("\\").join("/");
  return {
    file: bundleEntry,
    bytes: startupBytes(outputs, entryKey),
    totalBytes,
    milliseconds: performance.now() - started,
  };
}

/** What else decides the bundle's content besides the files esbuild read. */
const buildInputs = ["scripts/build-bundle.mjs", "package-lock.json", "tsconfig.json"];

/**
 * Whether dist/bundle was built after the last change to every file it was built from (the inputs
 * esbuild recorded, this script, the lockfile): a changed or deleted input, or no bundle, is stale.
 */
export function bundleIsCurrent() {
  const metaFile = join(bundleDir, "meta.json");
  if (!existsSync(bundleEntry) || !existsSync(metaFile)) return false;
  /** @type {import("esbuild").Metafile & { startedAt?: number }} */
  const meta = JSON.parse(readFileSync(metaFile, "utf8"));
  const builtAt = meta.startedAt ?? 0;
  const inputs = [...Object.keys(meta.inputs).filter((input) => !input.includes(":")), ...buildInputs];
  return inputs.every((input) => {
    const file = join(appRoot, input);
    return existsSync(file) && statSync(file).mtimeMs <= builtAt;
  });
}

/** Builds the bundle unless it is current; says which it did. */
export async function ensureBundle() {
  if (bundleIsCurrent()) return { file: bundleEntry, built: false, milliseconds: 0 };
  const { milliseconds } = await buildBundle();
  return { file: bundleEntry, built: true, milliseconds };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { file, bytes, totalBytes, milliseconds } = await buildBundle();
  process.stdout.write(
    `${relative(process.cwd(), file)}: ${(bytes / 1024).toFixed(1)} KB (${(totalBytes / 1024).toFixed(1)} KB with the chunks loaded on first use) in ${milliseconds.toFixed(0)} ms\n`,
  );
}
