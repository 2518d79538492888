import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { median, runChild } from "./measure.js";
import type { Figure } from "./setup.js";

interface BundleScript {
  buildBundle: () => Promise<{ file: string; bytes: number; milliseconds: number }>;
}

/**
 * Cold start: the production bundle (built by the same script deployment uses) against the
 * unbundled tsc build, each imported in fresh processes under the worker's core module, alternated.
 */
export async function measureColdStart(appRoot: string, runs = 7): Promise<Figure[]> {
  const script = pathToFileURL(join(appRoot, "scripts", "build-bundle.mjs")).href;
  const { buildBundle } = (await import(script)) as BundleScript;
  const bundle = await buildBundle();
  const unbundled = join(appRoot, "dist", "functions", "index.js");
  if (!existsSync(unbundled)) throw new Error(`${unbundled} is missing: run npm run build first`);

  const importOnce = (entry: string) =>
    runChild<{ milliseconds: number; functions: number }>("importTime.js", { entry }, 60_000);
  // One of each first, untimed: the file cache, not the import, is what a first read measures.
  const [plain, bundled] = [await importOnce(unbundled), await importOnce(bundle.file)];
  if (plain.functions !== bundled.functions) {
    throw new Error(`the bundle registers ${bundled.functions} functions, the build ${plain.functions}`);
  }
  const plainTimes: number[] = [];
  const bundleTimes: number[] = [];
  for (let run = 0; run < runs; run++) {
    plainTimes.push((await importOnce(unbundled)).milliseconds);
    bundleTimes.push((await importOnce(bundle.file)).milliseconds);
  }
  const plainMedian = median(plainTimes);
  const bundleMedian = median(bundleTimes);
  const kb = bundle.bytes / 1024;
  return [
    {
      section: "cold start",
      name: "production bundle size",
      value: kb,
      unit: "KB",
      target: "<= 500 KB",
      met: kb <= 500,
      note: `dist/bundle/index.js, minified ESM, built in ${bundle.milliseconds.toFixed(0)} ms`,
    },
    {
      section: "cold start",
      name: "import of the bundle (median)",
      value: bundleMedian,
      unit: "ms",
      baseline: { name: "import of dist/functions/index.js", value: plainMedian, unit: "ms" },
      target: "<= 0.3x unbundled",
      met: bundleMedian <= 0.3 * plainMedian,
      note: `${(bundleMedian / plainMedian).toFixed(2)}x; ${runs} fresh processes each, ${bundled.functions} functions registered by both`,
    },
  ];
}
