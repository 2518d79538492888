import type {} from "vitest";
import type { TestProject } from "vitest/node";

import { type RunningAzurite, startAzurite } from "../../local/azurite.js";

interface BundleScript {
  ensureBundle: () => Promise<{ file: string; built: boolean; milliseconds: number }>;
}

let azurite: RunningAzurite | undefined;

/**
 * One in-memory Azurite on free loopback ports for the whole run, started by the run itself; and
 * the production bundle (package.json `main`, what the end-to-end tests run) built when a source
 * changed since it was last built.
 */
export async function setup(project: TestProject): Promise<void> {
  const script = new URL("../../scripts/build-bundle.mjs", import.meta.url).href;
  const { ensureBundle } = (await import(script)) as BundleScript;
  [azurite] = await Promise.all([startAzurite(), ensureBundle()]);
  project.provide("azuriteConnectionString", azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}
