import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { beforeAll, describe, expect, test } from "vitest";

import { loadFunctionApp, type RegisteredFunction, triggerOf } from "../../local/host/functionsCore.js";
import { settingNames } from "../../shared/config.js";
import { invitationQueueName } from "../../shared/storage/invitationQueue.js";
import { tableNames } from "../../shared/storage/tables.js";
import { applySampleSettings } from "../support/settings.js";

/**
 * Holds infra/ to the code: every setting the config schema reads is set in Azure (or is listed
 * below as local-only, with why), every app setting infra sets is read by the code (or by the
 * host or an SDK), and the tables and queues infra creates are the ones the code names.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, "utf8");
const resourcesBicep = read("infra/resources.bicep");
const mainBicep = read("infra/main.bicep");

/** Settings the code reads that Azure must not set, and why. */
const localOnly: Readonly<Record<string, string>> = {
  // A connection string: Azurite locally; in Azure the Storage__* settings connect by identity.
  Storage: "connection string",
  // Keeps test runs apart in one Azurite; Azure has an account of its own.
  STORAGE_TABLE_PREFIX: "tests",
  // The dev mailbox's key; Azure sends through EMAIL_ENDPOINT by identity.
  EMAIL_CONNECTION_STRING: "connection string",
  // The dev identity provider; in Azure both follow from AUTH_TENANT_ID and AUTH_AUTHORITY_HOST.
  AUTH_ISSUER: "dev identity provider",
  AUTH_JWKS_URI: "dev identity provider",
  // The dev directory file; Azure reads the tenant through Graph.
  DEV_DIRECTORY_FILE: "dev directory",
  // Secrets: in Azure the managed identity signs in to Graph through a federated credential.
  GRAPH_CLIENT_SECRET: "secret",
  GRAPH_CERTIFICATE_PATH: "secret",
  // A secret: azure.yaml's postprovision hook (scripts/paging-token-key.sh) sets it once, outside Bicep.
  PAGING_TOKEN_KEY: "secret",
};

/** Settings read by the Functions host or an SDK rather than by shared/config.ts. */
const hostPrefixes = ["AzureWebJobsStorage__", "FUNCTIONS_", "APPLICATIONINSIGHTS_", "WEBSITE_"];
const sdkSettings = new Set([
  // @azure/identity's DefaultAzureCredential picks the user-assigned identity by it (the mail sender).
  "AZURE_CLIENT_ID",
]);

/** The text between the `{` that follows `marker` and its matching `}`. */
function blockAfter(text: string, marker: string): string {
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`'${marker}' not found`);
  const open = text.indexOf("{", start + marker.length);
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    if (text[index] === "{") depth++;
    if (text[index] === "}") depth--;
    if (depth === 0) return text.slice(open + 1, index);
  }
  throw new Error(`'${marker}' has no closing brace`);
}

/** The keys of a Bicep object body, top level only, comments ignored. */
function objectKeys(body: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (const rawLine of body.split("\n")) {
    const line = rawLine.replace(/\/\/.*$/, "");
    const key = /^\s*'?([A-Za-z_][\w.-]*)'?\s*:/.exec(line)?.[1];
    if (depth === 0 && key !== undefined) keys.push(key);
    depth += (line.match(/[{[]/g) ?? []).length - (line.match(/[}\]]/g) ?? []).length;
  }
  return keys;
}

function bicepStringArray(text: string, variable: string): string[] {
  const match = new RegExp(`^var ${variable} = \\[([^\\]]*)\\]`, "m").exec(text);
  if (match?.[1] === undefined) throw new Error(`var ${variable} not found`);
  return [...match[1].matchAll(/'([^']*)'/g)].map((item) => item[1] ?? "");
}

const appSettingsBody = blockAfter(
  blockAfter(resourcesBicep, "resource appSettings 'config'"),
  "properties:",
);
const infraSettings = objectKeys(appSettingsBody);
const isHostOrSdk = (name: string): boolean =>
  sdkSettings.has(name) || hostPrefixes.some((prefix) => name.startsWith(prefix));

describe("app settings", () => {
  test("the app settings block is found and sets no setting twice", () => {
    expect(infraSettings.length).toBeGreaterThan(10);
    expect(new Set(infraSettings).size).toBe(infraSettings.length);
  });

  test("every setting the code reads is set by infra, unless it is local-only", () => {
    const missing = settingNames.filter((name) => !infraSettings.includes(name) && !(name in localOnly));
    expect(missing).toEqual([]);
  });

  test("no local-only setting (connection strings, secrets, dev stand-ins) is set in Azure", () => {
    expect(infraSettings.filter((name) => name in localOnly)).toEqual([]);
  });

  test("the local-only list names only settings the code reads, so it cannot hide a typo", () => {
    expect(Object.keys(localOnly).filter((name) => !settingNames.includes(name))).toEqual([]);
  });

  test("every setting infra sets is read by the code, the host or an SDK", () => {
    const unread = infraSettings.filter((name) => !settingNames.includes(name) && !isHostOrSdk(name));
    expect(unread).toEqual([]);
  });

  test("storage connects by managed identity, for the app and for the host", () => {
    for (const name of [
      "Storage__credential",
      "Storage__clientId",
      "Storage__tableServiceUri",
      "Storage__queueServiceUri",
      "AzureWebJobsStorage__credential",
      "AzureWebJobsStorage__clientId",
      "AzureWebJobsStorage__blobServiceUri",
      "AzureWebJobsStorage__queueServiceUri",
    ]) {
      expect(infraSettings).toContain(name);
    }
    expect(appSettingsBody).toMatch(/Storage__credential: 'managedidentity'/);
    expect(appSettingsBody).toMatch(/AzureWebJobsStorage__credential: 'managedidentity'/);
    expect(appSettingsBody).toMatch(/DIRECTORY_MODE: 'graph'/);
    expect(appSettingsBody).toMatch(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=/,
    );
  });

  test("no key, connection string or secret appears anywhere in infra", () => {
    for (const text of [resourcesBicep, mainBicep]) {
      expect(text).not.toMatch(/listKeys\(|AccountKey=|accesskey=|SharedAccessSignature|@secure\(\)/i);
    }
    expect(resourcesBicep).toMatch(/allowSharedKeyAccess: false/);
    expect(resourcesBicep).toMatch(/minimumTlsVersion: 'TLS1_2'/);
    expect(resourcesBicep).toMatch(/allowBlobPublicAccess: false/);
    expect(resourcesBicep).toMatch(/DisableLocalAuth: true/);
  });

  test("Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME and the like: infra sets none of them", () => {
    expect(infraSettings.filter((name) => /^(FUNCTIONS_|WEBSITE_)/.test(name))).toEqual([]);
  });

  test("every role assignment is named with guid()", () => {
    const assignments = [
      ...resourcesBicep.matchAll(
        /'Microsoft\.Authorization\/roleAssignments@[^']+' = [^{]*\{\s*name: ([^\n]+)/g,
      ),
    ];
    expect(assignments.length).toBeGreaterThanOrEqual(5);
    for (const [, name] of assignments) expect(name).toMatch(/^guid\(/);
  });
});

describe("tables and queues", () => {
  let functions: RegisteredFunction[];

  beforeAll(async () => {
    applySampleSettings();
    functions = await loadFunctionApp(`${root}functions/index.ts`);
  });

  test("infra creates exactly the tables the code names", () => {
    expect(bicepStringArray(resourcesBicep, "tableNames").sort()).toEqual(Object.values(tableNames).sort());
  });

  test("infra creates the invitation queue, its poison queue, and every queue a trigger listens on", () => {
    const queues = bicepStringArray(resourcesBicep, "queueNames");
    const triggered = functions
      .map(triggerOf)
      .filter((trigger) => trigger.type === "queueTrigger")
      .map((trigger) => String(trigger.queueName));
    const expected = new Set([invitationQueueName, ...triggered]);
    expect(queues.sort()).toEqual([...expected].flatMap((queue) => [queue, `${queue}-poison`]).sort());
  });

  test("every trigger's storage connection is set by identity in infra", () => {
    const connections = functions
      .map(triggerOf)
      .map((trigger) => trigger.connection)
      .filter((connection): connection is string => typeof connection === "string");
    for (const connection of connections) {
      expect(infraSettings).toContain(`${connection}__credential`);
      expect(infraSettings).toContain(`${connection}__queueServiceUri`);
    }
  });
});

describe("parameters", () => {
  const declared = (text: string): string[] =>
    [...text.matchAll(/^param (\w+) /gm)].map((match) => match[1] ?? "");

  test("main.parameters.json gives every parameter of main.bicep that has no default, and no unknown one", () => {
    const parameters = Object.keys(
      (JSON.parse(read("infra/main.parameters.json")) as { parameters: Record<string, unknown> }).parameters,
    );
    const required = [...mainBicep.matchAll(/^param (\w+) \w+$/gm)].map((match) => match[1] ?? "");
    expect(required.filter((name) => !parameters.includes(name))).toEqual([]);
    expect(parameters.filter((name) => !declared(mainBicep).includes(name))).toEqual([]);
    expect(read("infra/main.parameters.json")).toContain("${AZURE_PRINCIPAL_ID}");
  });

  test("main.bicep passes every parameter resources.bicep declares", () => {
    const passed = objectKeys(blockAfter(blockAfter(mainBicep, "module app 'resources.bicep'"), "params:"));
    expect(passed.sort()).toEqual(declared(resourcesBicep).sort());
  });
});
