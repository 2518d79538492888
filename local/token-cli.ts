import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import type { DevTokenRequest } from "./identityProvider.js";

/**
 * `npm run token -- alice [--roles Process.Admin,...]`: asks the running local host's dev identity
 * provider for a token and prints it, alone on stdout, so that `$(npm run -s token -- alice)` works.
 */

const usage = `Usage: npm run token -- <user> [options]
  <user>                  a dev user's alias (alice, bob, carol, dave, erin, frank) or id
  --roles A,B             app roles instead of the user's own (e.g. Process.Admin)
  --audience AUD          another audience (a wrong token, for testing error handling)
  --tenant TENANT_ID      another tenant in tid (a wrong token)
  --scope "A B"           scp instead of Process.ReadWrite
  --expires-in=SECONDS    lifetime; negative (--expires-in=-60) mints an already expired token
  --app-only              a token for an application acting as itself (no user)
Reads LOCAL_HOST_URL (default http://localhost:7071).`;

export function parseTokenArguments(args: readonly string[]): DevTokenRequest {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      roles: { type: "string" },
      audience: { type: "string" },
      tenant: { type: "string" },
      scope: { type: "string" },
      "expires-in": { type: "string" },
      "app-only": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const user = positionals[0];
  if (values.help === true || user === undefined || positionals.length > 1) throw new UsageError(usage);
  const expiresIn = values["expires-in"] === undefined ? undefined : Number(values["expires-in"]);
  if (expiresIn !== undefined && !Number.isInteger(expiresIn)) {
    throw new UsageError("--expires-in takes a whole number of seconds.");
  }
  return {
    user,
    ...(values.roles === undefined
      ? {}
      : {
          roles: values.roles
            .split(",")
            .map((role) => role.trim())
            .filter((role) => role !== ""),
        }),
    ...(values.audience === undefined ? {} : { audience: values.audience }),
    ...(values.tenant === undefined ? {} : { tenantId: values.tenant }),
    ...(values.scope === undefined ? {} : { scope: values.scope }),
    ...(expiresIn === undefined ? {} : { expiresIn }),
    ...(values["app-only"] === true ? { appOnly: true } : {}),
  };
}

export class UsageError extends Error {}

export async function requestToken(hostUrl: string, request: DevTokenRequest): Promise<string> {
  const endpoint = `${hostUrl.replace(/\/+$/, "")}/dev/identity/token`;
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
  } catch {
    throw new UsageError(`The local host is not running at ${hostUrl}: start it with \`npm start\` first.`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    detail?: string;
    errors?: { field: string; message: string }[];
  };
  if (!response.ok || typeof body.access_token !== "string") {
    const fields = (body.errors ?? [])
      .map((error) => `${error.field || "body"}: ${error.message}`)
      .join("; ");
    throw new UsageError(
      `The dev identity provider refused (${response.status}): ${body.detail ?? "no detail"}${fields === "" ? "" : ` (${fields})`}`,
    );
  }
  return body.access_token;
}

async function main(): Promise<void> {
  try {
    const request = parseTokenArguments(process.argv.slice(2));
    const token = await requestToken(process.env.LOCAL_HOST_URL ?? "http://localhost:7071", request);
    process.stdout.write(`${token}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

// Run only as the entry point, so that tests can import the pieces.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
