import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { QueueClient } from "@azure/storage-queue";

import { createTokenValidator, type TokenValidator } from "./auth/tokenValidator.js";
import { type Config, getConfig } from "./config.js";
import { DevDirectory } from "./directory/devDirectory.js";
import { ProcessService } from "./domain/processService.js";
import { createMailSender, type MailSender, type MailSenderTuning } from "./email/mailSender.js";
import { InvitationLedger } from "./invitations/invitationLedger.js";
import { InvitationResender } from "./invitations/invitationResender.js";
import { InvitationSender } from "./invitations/invitationSender.js";
import { InvitationSweeper } from "./invitations/invitationSweeper.js";
import { PendingInvitationIndex } from "./invitations/pendingInvitations.js";
import { type QueueRetrySettings, readQueueRetrySettings } from "./invitations/queueSettings.js";
import { SharerQuota } from "./invitations/sharerQuota.js";
import { type Clock, type Directory, type InvitationQueue, systemClock } from "./ports.js";
import { RecordingService } from "./recordings/recordingService.js";
import { RecordingStore } from "./recordings/recordingStore.js";
import { invitationQueueName, openQueueClient, StorageInvitationQueue } from "./storage/invitationQueue.js";
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
  readonly recordings: RecordingService;
  readonly mail: MailSender;
  /** host.json's queue retries, which the invitation sender agrees with. */
  readonly queueSettings: QueueRetrySettings;
  readonly invitationSender: InvitationSender;
  readonly invitationSweeper: InvitationSweeper;
  readonly invitationResender: InvitationResender;
  /** Resolves once the tables exist (created on first use, as Azurite starts empty). */
  ready(): Promise<void>;
}

export interface ServiceOptions {
  /** Extra storage pipeline policies: the tests' and benchmarks' round-trip counter, fault injection. */
  readonly storagePolicies?: readonly PipelinePolicy[];
  readonly clock?: Clock;
  readonly directory?: Directory;
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
  /** The queue invitations are handed over to (tests: a queue of their own, or a broken one). */
  readonly invitationQueue?: QueueClient;
  /** The mail sender's waits (tests shorten them). */
  readonly mailTuning?: MailSenderTuning;
}

export function createDirectory(config: Config): Directory {
  if (config.directory.mode === "dev") return DevDirectory.fromFile(config.directory.devFile);
  // The Graph adapter (and msal-node with it) is loaded by the first directory call, not at start.
  let graph: Promise<Directory> | undefined;
  const load = (): Promise<Directory> =>
    (graph ??= import("./directory/graphDirectory.js").then(({ createGraphDirectory }) =>
      createGraphDirectory(config.directory),
    ));
  return {
    resolve: async (recipients) => await (await load()).resolve(recipients),
    getUsers: async (ids) => await (await load()).getUsers(ids),
    search: async (prefix, top) => await (await load()).search(prefix, top),
  };
}

export function createServices(config: Config, options: ServiceOptions = {}): Services {
  const tables = createTables(config.storage, { additionalPolicies: options.storagePolicies ?? [] });
  const store = new ProcessStore(tables);
  const clock = options.clock ?? systemClock;
  const directory = options.directory ?? createDirectory(config);
  const queueClient = options.invitationQueue;
  const invitations = new StorageInvitationQueue(
    queueClient !== undefined
      ? () => Promise.resolve(queueClient)
      : () => openQueueClient(config.storage, invitationQueueName),
  );
  const ledger = new InvitationLedger(tables.processes);
  const pendingInvitations = new PendingInvitationIndex(tables.pendingInvitations);
  const mail = createMailSender(config.email, options.mailTuning);
  let tablesReady: Promise<void> | undefined;
  const processes = new ProcessService({
    store,
    directory,
    invitations,
    clock,
    appRoles: { adminRole: config.auth.adminRole, shareRole: config.auth.shareRole },
    ...(options.warn !== undefined && { warn: options.warn }),
    pendingInvitations,
  });
  return {
    config,
    clock,
    tokenValidator: createTokenValidator(config.auth),
    store,
    directory,
    invitations,
    processes,
    recordings: new RecordingService({
      processes,
      store: new RecordingStore(tables.processes),
      clock,
      limits: { perProcess: config.recordings.maxPerProcess, perUser: config.recordings.maxPerUser },
    }),
    mail,
    queueSettings: readQueueRetrySettings(),
    invitationSender: new InvitationSender({
      store,
      ledger,
      pending: pendingInvitations,
      directory,
      mail,
      clock,
      appBaseUrl: config.appBaseUrl,
      cooldownSeconds: config.email.resendCooldownSeconds,
      quota: new SharerQuota(tables.invitationQuotas, config.email.sharerHourlyQuota),
      ...(options.mailTuning?.pollIntervalMs !== undefined && {
        runningPollMs: options.mailTuning.pollIntervalMs,
      }),
    }),
    invitationSweeper: new InvitationSweeper({
      ledger,
      pending: pendingInvitations,
      queue: invitations,
      mail,
      clock,
    }),
    invitationResender: new InvitationResender({
      processes,
      ledger,
      pending: pendingInvitations,
      queue: invitations,
      clock,
      cooldownSeconds: config.email.resendCooldownSeconds,
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
