import type {} from "vitest";
import type { TestProject } from "vitest/node";

import { type RunningAzurite, startAzurite } from "../../local/azurite.js";

let azurite: RunningAzurite | undefined;

/** One in-memory Azurite on free loopback ports for the whole run, started by the run itself. */
export async function setup(project: TestProject): Promise<void> {
  azurite = await startAzurite();
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
