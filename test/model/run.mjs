// @ts-check
import { spawnSync } from "node:child_process";
import console from "node:console";
import { randomInt } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/**
 * `npm run test:model -- --runs N [--seed S]`: the model-based test of the access core with many
 * more runs than `npm test` gives it. The seed is printed first, so that any failure replays with
 * `--seed S` (fast-check's report also gives the path to the shrunk counterexample).
 */

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** @param {string} name */
function option(name) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

const runs = Number(option("runs") ?? 2000);
const seed = Number(option("seed") ?? randomInt(2 ** 31));
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error("usage: npm run test:model -- --runs N [--seed S]");
  process.exit(2);
}
console.log(
  `model test: ${runs} runs, seed ${seed} (replay: npm run test:model -- --runs ${runs} --seed ${seed})`,
);

const result = spawnSync(
  process.execPath,
  [
    join(appRoot, "node_modules", "vitest", "vitest.mjs"),
    "run",
    "test/model/access.model.test.ts",
    "-t",
    "random sequences",
  ],
  {
    cwd: appRoot,
    stdio: "inherit",
    env: { ...process.env, MODEL_RUNS: String(runs), MODEL_SEED: String(seed), MODEL_MAX_STEPS: "12" },
  },
);
console.log(`model test: seed ${seed}, ${runs} runs: ${result.status === 0 ? "passed" : "FAILED"}`);
process.exit(result.status ?? 1);
