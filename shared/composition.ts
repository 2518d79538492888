import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { QueueClient } from "@azure/storage-queue";

import { createTokenValidator, type TokenValidator } from "./auth/tokenValidator.js";
import { type Config, getConfig } from "./config.js";
import { DevDirectory } from "./directory/devDirectory.js";
import { ProcessAccess } from "./domain/authorization.js";
import { ChangeRole } from "./domain/changeRole.js";
import { CheckHealth } from "./domain/checkHealth.js";
import { CreateProcess } from "./domain/createProcess.js";
import { DeleteProcess } from "./domain/deleteProcess.js";
import { ExpirySweep } from "./domain/expirySweep.js";
import { ExplainAccess } from "./domain/explainAccess.js";
import { GetProcess } from "./domain/getProcess.js";
import { ListAccess } from "./domain/listAccess.js";
import { ListAudit } from "./domain/listAudit.js";
import { ListExpiring } from "./domain/listExpiring.js";
import { ListProcesses } from "./domain/listProcesses.js";
import { type DeleteBudget, ListRepairer } from "./domain/listRepair.js";
import { RevokeAccess } from "./domain/revokeAccess.js";
import { RoleChanges } from "./domain/roleChanges.js";
import { ShareProcess } from "./domain/shareProcess.js";
import type { SharingPorts } from "./domain/sharingCore.js";
import { OwnershipOffers } from "./domain/transferOffer.js";
import { TransferOwnership } from "./domain/transferOwnership.js";
import { UpdateProcess } from "./domain/updateProcess.js";
import { ExpiryNoticeMailer } from "./email/expiryNotice.js";
import { createMailSender, type MailSender, type MailSenderTuning } from "./email/mailSender.js";
import { PagingCodec } from "./http.js";
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
import { AuditTrailStore } from "./storage/auditTrail.js";
import { invitationQueueName, openQueueClient, StorageInvitationQueue } from "./storage/invitationQueue.js";
import { ListRepairStore } from "./storage/listRepairLog.js";
import { ProcessIndexStore } from "./storage/processIndex.js";
import { ProcessStore } from "./storage/processStore.js";
import { RoleExpiryStore } from "./storage/roleExpiries.js";
import { RoleRowStore } from "./storage/roleRows.js";
import { createTables, ensureTables } from "./storage/tables.js";
import { UserListStore } from "./storage/userLists.js";

/** The sharing use cases, one per file under shared/domain/. */
export interface UseCases {
  readonly createProcess: CreateProcess;
  readonly listProcesses: ListProcesses;
  readonly getProcess: GetProcess;
  readonly updateProcess: UpdateProcess;
  readonly deleteProcess: DeleteProcess;
  readonly listAccess: ListAccess;
  readonly shareProcess: ShareProcess;
  readonly changeRole: ChangeRole;
  readonly revokeAccess: RevokeAccess;
  readonly listAudit: ListAudit;
  readonly ownershipOffers: OwnershipOffers;
  readonly transferOwnership: TransferOwnership;
  readonly repairLists: ListRepairer;
  readonly checkHealth: CheckHealth;
  readonly expirySweep: ExpirySweep;
  readonly explainAccess: ExplainAccess;
  readonly listExpiring: ListExpiring;
}

/**
 * The composition root: the one place that picks an adapter for each port from configuration
 * and hands out use cases. Built once per process; functions reach it through `getServices()`.
 */
export interface Services {
  readonly config: Config;
  readonly clock: Clock;
  readonly tokenValidator: TokenValidator;
  /** The process rows (the invitation sender reads processes through it; tests read its tables). */
  readonly store: ProcessStore;
  readonly directory: Directory;
  readonly invitations: InvitationQueue;
  readonly useCases: UseCases;
  /** The sealed paging codec of the HTTP edge. */
  readonly paging: PagingCodec;
  /** `loadAuthorized`, for the recordings and invitation code. */
  readonly processes: ProcessAccess;
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
  /** How much of a process one delete request or sweep removes (tests make it small). */
  readonly deleteBudget?: DeleteBudget;
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
  const ready = (): Promise<void> => {
    tablesReady ??= ensureTables(tables).catch((error: unknown) => {
      tablesReady = undefined;
      throw error;
    });
    return tablesReady;
  };
  const ports: SharingPorts = {
    processes: store,
    roles: new RoleRowStore(tables),
    audit: new AuditTrailStore(tables),
    lists: new UserListStore(tables),
    index: new ProcessIndexStore(tables),
    repairs: new ListRepairStore(tables),
    expiries: new RoleExpiryStore(tables),
    expiryNotices: new ExpiryNoticeMailer(mail, directory, config.appBaseUrl, clock),
    directory,
    invitations,
    pendingInvitations,
    clock,
    appRoles: { adminRole: config.auth.adminRole, shareRole: config.auth.shareRole },
    ...(options.warn !== undefined && { warn: options.warn }),
  };
  const processes = new ProcessAccess(ports);
  const repair = new ListRepairer(ports, options.deleteBudget);
  const roleChanges = new RoleChanges(ports, processes, repair);
  const useCases: UseCases = {
    createProcess: new CreateProcess(ports, repair),
    listProcesses: new ListProcesses(ports),
    getProcess: new GetProcess(processes),
    updateProcess: new UpdateProcess(ports, processes, repair),
    deleteProcess: new DeleteProcess(ports, processes, repair),
    listAccess: new ListAccess(ports, processes),
    shareProcess: new ShareProcess(ports, processes, roleChanges),
    changeRole: new ChangeRole(processes, roleChanges, clock),
    revokeAccess: new RevokeAccess(processes, roleChanges),
    listAudit: new ListAudit(ports, processes),
    ownershipOffers: new OwnershipOffers(ports, processes),
    transferOwnership: new TransferOwnership(ports, processes, roleChanges),
    repairLists: repair,
    checkHealth: new CheckHealth(store, ready),
    expirySweep: new ExpirySweep(ports, roleChanges),
    explainAccess: new ExplainAccess(ports),
    listExpiring: new ListExpiring(ports),
  };
  return {
    config,
    clock,
    tokenValidator: createTokenValidator(config.auth),
    store,
    directory,
    invitations,
    useCases,
    paging: new PagingCodec(config.pagingTokenKey, clock),
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
    ready,
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
