import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { RestError, TableClient, type TableServiceClientOptions } from "@azure/data-tables";
import type { TokenCredential } from "@azure/identity";

import { azureCredential } from "../azureCredential.js";
import type { StorageConfig } from "../config.js";

/** The app's tables. Names are fixed; a prefix keeps test runs (and tenants of one account) apart. */
export const tableNames = {
  /** One partition per process: the process row, role rows, audit trail, invitations, recordings. */
  processes: "Processes",
  /** One partition per user: the processes in their list, revoked-but-listed included. */
  userProcesses: "UserProcesses",
  /** One partition per kind: every process of that kind, for administrators' lists. */
  processIndex: "ProcessIndex",
  /** One partition per minute: invitations not yet settled, for the invitation sweeper. */
  pendingInvitations: "PendingInvitations",
  /** One partition per minute: list rows written ahead of a commit, for the list repair sweep. */
  listRepairs: "ListRepairs",
  /** One row per sharer: the invitation emails they caused in the last hour (their hourly quota). */
  invitationQuotas: "InvitationQuotas",
  /** One partition per day: roles that end, for the expiry sweep. */
  roleExpiries: "RoleExpiries",
} as const;

export type TableName = keyof typeof tableNames;
export type Tables = Readonly<Record<TableName, TableClient>>;

export interface TableOptions {
  /** Extra pipeline policies, e.g. the round-trip counter of the tests and benchmarks. */
  readonly additionalPolicies?: readonly PipelinePolicy[];
}

/** Managed identity in Azure (one credential for every client). */
export function storageCredential(config: StorageConfig): TokenCredential {
  return azureCredential(config.managedIdentityClientId);
}

export function createTables(config: StorageConfig, options: TableOptions = {}): Tables {
  const clientOptions: TableServiceClientOptions = {
    additionalPolicies: (options.additionalPolicies ?? []).map((policy) => ({ policy, position: "perCall" })),
  };
  const make = (name: string): TableClient => {
    const fullName = `${config.tablePrefix}${name}`;
    if (config.connectionString !== undefined) {
      const local = /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(config.connectionString);
      return TableClient.fromConnectionString(config.connectionString, fullName, {
        ...clientOptions,
        allowInsecureConnection: local,
      });
    }
    if (config.tableServiceUri === undefined) throw new Error("Storage__tableServiceUri is not set");
    return new TableClient(config.tableServiceUri, fullName, storageCredential(config), clientOptions);
  };
  return {
    processes: make(tableNames.processes),
    userProcesses: make(tableNames.userProcesses),
    processIndex: make(tableNames.processIndex),
    pendingInvitations: make(tableNames.pendingInvitations),
    listRepairs: make(tableNames.listRepairs),
    invitationQuotas: make(tableNames.invitationQuotas),
    roleExpiries: make(tableNames.roleExpiries),
  };
}

/** Creates the tables once per process; Azure creates them at deployment, Azurite on first use. */
export async function ensureTables(tables: Tables): Promise<void> {
  await Promise.all(
    Object.values(tables).map(async (table) => {
      try {
        await table.createTable();
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 409)) throw error;
      }
    }),
  );
}

export function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/**
 * Keys must never carry `/ \ # ?` or control characters (Table Storage refuses them or,
 * worse, misroutes the request). Every key we build goes through here.
 */
export function safeKey(value: string): string {
  if (!isSafeKey(value)) throw new Error(`Unsafe table key: ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}

export function isSafeKey(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return value !== "" && value.length <= 512 && !/[/\\#?\u0000-\u001f\u007f-\u009f]/.test(value);
}
