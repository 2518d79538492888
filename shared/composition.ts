import type { PipelinePolicy } from "@azure/core-rest-pipeline";

import { createTokenValidator, type TokenValidator } from "./auth/tokenValidator.js";
import { type Config, getConfig } from "./config.js";
import { DevDirectory } from "./directory/devDirectory.js";
import { createGraphDirectory } from "./directory/graphDirectory.js";
import { ProcessService } from "./domain/processService.js";
import { type Clock, type Directory, type InvitationQueue, systemClock } from "./ports.js";
import { createQueueClient, invitationQueueName, StorageInvitationQueue } from "./storage/invitationQueue.js";
import { ProcessStore } from "./storage/processStore.js";
import { createTables, ensureTables } from "./storage/tables.js";

/**
 * The composition root: the one place that picks an adapter for each port from configuration.
 * Built once per process; functions reach it through `getServices()`.
 */
export interface Services {
  readonly config: Config;
  readonly clock: Clock;
  readonly tokenValidator: TokenValidator;
  readonly store: ProcessStore;
  readonly directory: Directory;
  readonly invitations: InvitationQueue;
  readonly processes: ProcessService;
  /** Resolves once the tables exist (created on first use, as Azurite starts empty). */
  ready(): Promise<void>;
}

export interface ServiceOptions {
  /** Extra storage pipeline policies: the tests' and benchmarks' round-trip counter, fault injection. */
  readonly storagePolicies?: readonly PipelinePolicy[];
  readonly clock?: Clock;
  readonly directory?: Directory;
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

export function createDirectory(config: Config): Directory {
  return config.directory.mode === "dev"
    ? DevDirectory.fromFile(config.directory.devFile)
    : createGraphDirectory(config.directory);
}

export function createServices(config: Config, options: ServiceOptions = {}): Services {
  const tables = createTables(config.storage, { additionalPolicies: options.storagePolicies ?? [] });
  const store = new ProcessStore(tables);
  const clock = options.clock ?? systemClock;
  const directory = options.directory ?? createDirectory(config);
  const invitations = new StorageInvitationQueue(createQueueClient(config.storage, invitationQueueName));
  let tablesReady: Promise<void> | undefined;
  return {
    config,
    clock,
    tokenValidator: createTokenValidator(config.auth),
    store,
    directory,
    invitations,
    processes: new ProcessService({
      store,
      directory,
      invitations,
      clock,
      appRoles: { adminRole: config.auth.adminRole, shareRole: config.auth.shareRole },
      ...(options.warn !== undefined && { warn: options.warn }),
    }),
    ready: () => {
      tablesReady ??= ensureTables(tables).catch((error: unknown) => {
        tablesReady = undefined;
        throw error;
      });
      return tablesReady;
    },
  };
}

let current: Services | undefined;

export function getServices(): Services {
  current ??= createServices(getConfig());
  return current;
}

/** Replaces the services every function uses (tests, benchmarks and the local host build their own). */
export function useServices(services: Services | undefined): void {
  current = services;
}
