import type {} from "vitest";
import type { TestProject } from "vitest/node";

import { type RunningAzurite, startAzurite } from "../../local/azurite.js";
import { printRefusal, startStrictTableProxy, type StrictTableProxy, tableOrigin } from "./strictStorage.js";

interface BundleScript {
  ensureBundle: () => Promise<{ file: string; built: boolean; milliseconds: number }>;
}

let azurite: RunningAzurite | undefined;
let strict: StrictTableProxy | undefined;

/**
 * One in-memory Azurite on free loopback ports for the whole run, started by the run itself, with
 * the strict storage proxy in front of its Table endpoint: every test gets a connection string whose
 * tables go through the proxy, so everything is held to Table Storage's limits (and to Cosmos DB
 * for Table's unsorted pages and opaque continuation markers). And the production bundle
 * (package.json `main`, what the end-to-end tests run) built when a source changed since it was
 * last built.
 */
export async function setup(project: TestProject): Promise<void> {
  const script = new URL("../../scripts/build-bundle.mjs", import.meta.url).href;
  const { ensureBundle } = (await import(script)) as BundleScript;
  [azurite] = await Promise.all([startAzurite(), ensureBundle()]);
  strict = await startStrictTableProxy({
    target: tableOrigin(azurite.connectionString),
    onRefusal: printRefusal,
  });
  project.provide("azuriteConnectionString", strict.connectionString(azurite.connectionString));
  project.provide("directAzuriteConnectionString", azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await strict?.stop();
  await azurite?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Azurite behind the strict storage proxy: what every test uses. */
    azuriteConnectionString: string;
    /** Azurite itself, for the strict proxy's own tests (to show what Azurite lets through). */
    directAzuriteConnectionString: string;
  }
}
