import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { type ConnectorTarget, writeConnectorFolder } from "./connectorFolder.js";

const usage = `Writes the Power Platform custom connector folder of a deployed API.

  npm run connector -- --host <host> --app-id-uri <uri> --tenant-id <tenant> [options]

  --host         the function app's host name (func-processes.azurewebsites.net) or its URL
  --app-id-uri   the API's app id URI (api://<client id>)
  --tenant-id    the Entra tenant of the API's app registration (id or domain)
  --client-id    the app registration the connector signs in as (default: the API's own,
                 the id in an api://<id> app id URI)
  --scope        the delegated scope (default Process.ReadWrite)
  --authority    the Entra authority host (default https://login.microsoftonline.com)
  --out          the folder to write (default dist/power-platform-connector)

Then: paconn create --api-def <out>/apiDefinition.swagger.json --api-prop <out>/apiProperties.json --secret <client secret>`;

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bad command-line input: the message says which option and why. */
export class UsageError extends Error {}

function urlOf(option: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new UsageError(`--${option} '${value}' is not a URL`);
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      options: {
        host: { type: "string" },
        "app-id-uri": { type: "string" },
        "tenant-id": { type: "string" },
        "client-id": { type: "string" },
        scope: { type: "string", default: "Process.ReadWrite" },
        authority: { type: "string", default: "https://login.microsoftonline.com" },
        out: { type: "string", default: "dist/power-platform-connector" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The options as a connector target and an output folder; throws a UsageError naming what is wrong. */
export function parseArguments(argv: readonly string[]): { target: ConnectorTarget; out: string } {
  const { values } = parse(argv);
  const required = (name: "host" | "app-id-uri" | "tenant-id"): string => {
    const value = values[name]?.trim();
    if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
    return value;
  };

  const hostInput = required("host");
  const host = hostInput.includes("://") ? urlOf("host", hostInput).host : hostInput.replace(/\/+$/, "");
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(host))
    throw new UsageError(
      `--host must be a host name such as func-processes.azurewebsites.net, not '${hostInput}'`,
    );

  const appIdUri = required("app-id-uri").replace(/\/+$/, "");
  if (!/^(api|https):\/\/[^\s/]+/.test(appIdUri))
    throw new UsageError(`--app-id-uri must look like api://<client id> or https://..., not '${appIdUri}'`);

  const tenantId = required("tenant-id");
  if (!guid.test(tenantId) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(tenantId))
    throw new UsageError(`--tenant-id must be a tenant id (GUID) or domain, not '${tenantId}'`);

  const clientId = values["client-id"]?.trim() ?? /^api:\/\/([^/]+)$/.exec(appIdUri)?.[1];
  if (clientId === undefined || !guid.test(clientId))
    throw new UsageError(
      "--client-id must be an application (client) id; give it when the app id URI does not hold one",
    );

  if (!/^[A-Za-z][\w.]*$/.test(values.scope))
    throw new UsageError(`--scope '${values.scope}' is not a scope name`);
  const authority = urlOf("authority", values.authority);
  if (authority.protocol !== "https:") throw new UsageError("--authority must be an https URL");

  return {
    target: {
      host: host.toLowerCase(),
      appIdUri,
      tenantId: tenantId.toLowerCase(),
      clientId: clientId.toLowerCase(),
      requiredScope: values.scope,
      authorityHost: authority.origin,
    },
    out: resolve(values.out),
  };
}

/** Runs the command: writes the folder and returns what to print. */
export async function main(argv: readonly string[]): Promise<string> {
  const { target, out } = parseArguments(argv);
  const files = await writeConnectorFolder(target, out);
  return [
    `Wrote the custom connector of https://${target.host}/api:`,
    ...files.map((file) => `  ${file}`),
    "Import it (see docs/power-platform.md):",
    `  paconn create --api-def ${files[0] ?? ""} --api-prop ${files[1] ?? ""} --secret <client secret of ${target.clientId}>`,
  ].join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    console.log(await main(process.argv.slice(2)));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`connector: ${error.message}\n\n${usage}`);
    process.exitCode = 2;
  }
}
