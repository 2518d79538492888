import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { DevDirectory } from "../shared/directory/devDirectory.js";
import { type AzuritePorts, isListening, reservePort, type RunningAzurite, startAzurite } from "./azurite.js";
import { MissingBuildError, type RunningFunctionsHost, startFunctionsHost } from "./host/host.js";
import { type ExtraRoute, PortInUseError } from "./host/httpServer.js";
import { consoleLog, type HostLog } from "./host/invocation.js";
import { applySettings, HostConfigurationError, readLocalSettings } from "./host/settings.js";
import { DevIdentityProvider } from "./identityProvider.js";
import { DevMailbox, devMailboxAccessKey } from "./mailbox.js";
import { defaultWebPort, type RunningWebServer, startWebServer } from "./webServer.js";

/**
 * `npm start`: Azurite, the dev identity provider, the dev mailbox and the function app on one
 * port, as SPEC section 5 describes. `startLocalHost` is the same thing for tests.
 */

export const defaultPort = 7071;
export const defaultAzuritePorts: AzuritePorts = { blob: 10000, queue: 10001, table: 10002 };

export interface LocalHostOptions {
  /** Where host.json, local.settings*.json and dist/ are; the working directory by default. */
  readonly appRoot?: string;
  /** The app's entry; by default `main` in `<appRoot>/package.json`, as in Azure: the production bundle. */
  readonly entry?: string;
  /** 7071 by default; 0 picks a free port. */
  readonly port?: number;
  /** Start Azurite (data folder, ports; in memory on free ports when both are omitted) or use a running one. */
  readonly azurite?:
    { readonly location?: string; readonly ports?: AzuritePorts } | { readonly connectionString: string };
  /** Settings that win over the settings file and the environment (tests). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Read local.settings.json / local.settings.sample.json; true by default. */
  readonly readSettingsFile?: boolean;
  readonly log?: HostLog;
  readonly maxRequestBodyBytes?: number;
}

export interface LocalHost {
  /** e.g. `http://localhost:7071`; the API is under `${url}/api`. */
  readonly url: string;
  readonly port: number;
  /** The entry file the functions were loaded from, and whether it is package.json `main`. */
  readonly entry: string;
  readonly entryIsMain: boolean;
  readonly host: RunningFunctionsHost;
  readonly storageConnectionString: string;
  readonly azurite: { readonly started: boolean; readonly location?: string };
  readonly settingsFile?: string;
  readonly identityProvider: DevIdentityProvider;
  readonly mailbox: DevMailbox;
  stop(): Promise<void>;
}

const developmentStorage = /^usedevelopmentstorage=true;?$/i;

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const appRoot = resolve(options.appRoot ?? process.cwd());
  const entry = resolve(appRoot, options.entry ?? packageMain(appRoot));
  const requestedPort = options.port ?? defaultPort;
  // A free port is held until the host listens on it, so that Azurite cannot pick it meanwhile.
  const reservation = requestedPort === 0 ? await reservePort() : undefined;
  const port = reservation?.port ?? requestedPort;
  // Fail fast, before Azurite starts, when the port is taken.
  if (reservation === undefined && (await isListening(port))) throw new PortInUseError(port);
  if (!existsSync(entry)) throw new MissingBuildError(entry);
  const url = `http://localhost:${port}`;

  const file = options.readSettingsFile === false ? undefined : readLocalSettings(appRoot);
  const fileValues: Record<string, string> = {};
  for (const [key, value] of Object.entries(file?.values ?? {})) {
    // The sample points the dev routes at 7071; another port moves them along.
    fileValues[key] =
      port === defaultPort ? value : value.replaceAll(`localhost:${defaultPort}`, `localhost:${port}`);
  }
  applySettings(fileValues);
  for (const [key, value] of Object.entries(options.settings ?? {})) process.env[key] = value;

  const azuriteOption = options.azurite ?? {
    location: join(appRoot, ".azurite"),
    ports: defaultAzuritePorts,
  };
  let azurite: RunningAzurite | undefined;
  let storageConnectionString: string;
  if ("connectionString" in azuriteOption) {
    storageConnectionString = azuriteOption.connectionString;
  } else {
    azurite = await startAzurite({
      ...(azuriteOption.location === undefined ? {} : { location: azuriteOption.location }),
      ...(azuriteOption.ports === undefined ? {} : { ports: azuriteOption.ports }),
    });
    storageConnectionString = azurite.connectionString;
  }

  try {
    // "UseDevelopmentStorage=true" means this Azurite, wherever its ports are.
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && developmentStorage.test(value.trim()))
        process.env[key] = storageConnectionString;
    }

    const env = process.env;
    const location = "location" in azuriteOption ? azuriteOption.location : undefined;
    const issuer = env.AUTH_ISSUER?.startsWith(`${url}/`) === true ? env.AUTH_ISSUER : `${url}/dev/identity`;
    const identityProvider = await DevIdentityProvider.create({
      issuer,
      clientId: requiredSetting("AUTH_CLIENT_ID"),
      tenantId: requiredSetting("AUTH_TENANT_ID"),
      directory: DevDirectory.fromFile(
        env.DEV_DIRECTORY_FILE === undefined || env.DEV_DIRECTORY_FILE === ""
          ? undefined
          : env.DEV_DIRECTORY_FILE,
      ),
      ...(location === undefined ? {} : { keyFile: join(location, "dev-identity-keys.json") }),
      ...(env.AUTH_REQUIRED_SCOPE === undefined || env.AUTH_REQUIRED_SCOPE === ""
        ? {}
        : { defaultScope: env.AUTH_REQUIRED_SCOPE }),
    });
    const mailbox = new DevMailbox({ accessKey: mailboxAccessKey(env.EMAIL_CONNECTION_STRING) });
    const devRoutes: ExtraRoute[] = [
      (req, res, pathname) => identityProvider.handle(req, res, pathname),
      async (req, res, pathname) => {
        // The email client takes an endpoint without a path, so the mail API sits at the root.
        const mailApi = pathname === "/emails:send" || pathname.startsWith("/emails/");
        return mailApi || pathname === mailbox.basePath || pathname === `${mailbox.basePath}/`
          ? await mailbox.handle(req, res, pathname)
          : false;
      },
    ];

    await reservation?.release();
    const host = await startFunctionsHost({
      appRoot,
      entry,
      port,
      log: options.log ?? consoleLog,
      corsAllowedOrigins: (env.CORS_ALLOWED_ORIGINS ?? "")
        .split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ""),
      extraRoutes: devRoutes,
      ...(options.maxRequestBodyBytes === undefined
        ? {}
        : { maxRequestBodyBytes: options.maxRequestBodyBytes }),
    });

    const runningAzurite = azurite;
    let stopping: Promise<void> | undefined;
    return {
      url: host.url,
      port: host.port,
      entry,
      entryIsMain: options.entry === undefined,
      host,
      storageConnectionString,
      azurite: {
        started: runningAzurite?.started ?? false,
        ...(location === undefined ? {} : { location }),
      },
      ...(file === undefined ? {} : { settingsFile: file.file }),
      identityProvider,
      mailbox,
      stop: () => {
        stopping ??= (async () => {
          await host.stop();
          await runningAzurite?.stop();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await reservation?.release();
    await azurite?.stop();
    throw error;
  }
}

/** What the Azure worker loads: package.json `main` (azure-functions-nodejs-worker `startApp`). */
function packageMain(appRoot: string): string {
  const file = join(appRoot, "package.json");
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(file, "utf8")) as { main?: unknown }).main;
  } catch (error) {
    throw new HostConfigurationError(
      `${file} cannot be read (${error instanceof Error ? error.message : String(error)}): the Azure host loads the app from its "main".`,
    );
  }
  if (typeof main !== "string" || main.trim() === "") {
    throw new HostConfigurationError(`${file} has no "main": the Azure host would load no functions.`);
  }
  return main;
}

function requiredSetting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === "") {
    throw new HostConfigurationError(
      `Setting ${name} is not set: copy local.settings.sample.json to local.settings.json.`,
    );
  }
  return value.trim();
}

function mailboxAccessKey(connectionString: string | undefined): string {
  const match = /(?:^|;)\s*accesskey=([^;]+)/i.exec(connectionString ?? "");
  return match?.[1] ?? devMailboxAccessKey;
}

/** What a newcomer reads once the host is up: where things are and a walk-through to paste. */
export function startupBanner(local: LocalHost, seconds: number, webUrl?: string): string {
  const { url, host } = local;
  const lines: string[] =
    webUrl === undefined ? [] : ["", `Web app: ${webUrl}  (open it and sign in as a dev user)`];
  lines.push("", "Functions:");
  for (const route of host.httpRoutes) {
    lines.push(`  ${route.functionName}: [${route.methods.join(",")}] ${url}/${route.route}`);
  }
  for (const queue of host.queues)
    lines.push(`  ${queue.functionName}: queueTrigger on '${queue.queueName}'`);
  for (const timer of host.timers) lines.push(`  ${timer.functionName}: timerTrigger "${timer.schedule}"`);
  const json = `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8"))`;
  lines.push(
    "",
    "Local stand-ins:",
    `  API                     ${url}/api`,
    `  function app            ${relative(process.cwd(), local.entry)}${local.entryIsMain ? " (package.json main: what Azure loads)" : ""}`,
    `  dev identity provider   ${local.identityProvider.issuer}  (POST ${local.identityProvider.tokenEndpoint} {"user":"alice"})`,
    `  dev mailbox             ${url}${local.mailbox.basePath}  (GET lists, DELETE empties; open it in a browser)`,
    `  Azurite                 ${local.azurite.started ? "started" : "reused"}${local.azurite.location === undefined ? " (in memory)" : `, data in ${local.azurite.location}`}`,
    `  settings                ${local.settingsFile ?? "environment only"}`,
    "",
    "Try it (copy and paste):",
    `  TOKEN=$(curl -s -X POST ${local.identityProvider.tokenEndpoint} -H 'content-type: application/json' -d '{"user":"alice"}' | ${json}.access_token')`,
    `  ID=$(curl -s -X POST ${url}/api/processes -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"kind":"processMining","name":"Order to cash"}' | ${json}.id')`,
    `  curl -s -w '\\n' -X POST "${url}/api/processes/$ID/access" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"role":"viewer","recipients":[{"email":"bob@contoso.example"}],"message":"Have a look"}'`,
    `  curl -s -w '\\n' "${url}/api/processes/$ID/access" -H "authorization: Bearer $TOKEN"`,
    `  for i in $(seq 20); do curl -s ${url}${local.mailbox.basePath} | grep -q '"subject"' && break; sleep 0.5; done; curl -s -w '\\n' ${url}${local.mailbox.basePath}`,
    "",
    `Ready in ${seconds.toFixed(1)} s on ${url} (Ctrl-C stops everything).`,
  );
  return lines.join("\n");
}

/** Errors a user can act on get one line; anything else keeps its stack. */
export function startFailureLine(error: unknown, port: number): string | undefined {
  if (error instanceof PortInUseError) {
    return `Port ${error.port} is already in use (another npm start?): stop it, or choose another port with PORT=${port + 1} npm start.`;
  }
  if (error instanceof MissingBuildError) return `${error.entry} is missing: run npm run build first.`;
  if (error instanceof HostConfigurationError) return error.message;
  // The app's own settings check (its appStart hook): the message names each bad setting.
  if (error instanceof Error && error.name === "ConfigError") {
    return `${error.message} (local.settings.json, or local.settings.sample.json when there is none)`;
  }
  if (error instanceof Error && /is in use by something that is not a complete Azurite/.test(error.message)) {
    return `Azurite's ports (10000-10002): ${error.message}`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: "string" } }, allowPositionals: false });
  const portText = values.port ?? process.env.PORT ?? String(defaultPort);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`"${portText}" is not a port number (PORT or --port).\n`);
    process.exit(1);
  }
  let local: LocalHost;
  try {
    local = await startLocalHost({ port });
  } catch (error) {
    const line = startFailureLine(error, port);
    if (line === undefined) throw error;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
  let web: RunningWebServer;
  const webPort = Number(process.env.WEB_PORT ?? defaultWebPort);
  try {
    web = await startWebServer({
      root: join(process.cwd(), "dist", "web"),
      apiBaseUrl: local.url,
      port: webPort,
    });
  } catch (error) {
    await local.stop();
    const why = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      error instanceof PortInUseError
        ? `Port ${webPort} (the web app) is already in use: stop it, or choose another with WEB_PORT=${webPort + 1} npm start (and add its origin to CORS_ALLOWED_ORIGINS).\n`
        : `The web app could not be served: ${why} (npm run build writes dist/web).\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`${startupBanner(local, process.uptime(), web.url)}\n`);

  let signals = 0;
  const shutdown = (): void => {
    signals += 1;
    if (signals > 1) process.exit(130);
    process.stdout.write("\nStopping: HTTP server, queue and timer triggers, Azurite...\n");
    Promise.all([web.stop(), local.stop()]).then(
      () => {
        process.stdout.write("Stopped.\n");
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

// Run only as the entry script (node dist/local/start.js), not when a test imports startLocalHost.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  await main();
}
