/**
 * The deployment's settings, read from `/config.json` beside the app: where the API is and how
 * to sign in. Locally the web server writes it; in Azure the deployment does.
 */

export interface DevUser {
  readonly alias: string;
  readonly displayName: string;
  readonly email: string;
  readonly userType: "Member" | "Guest";
  readonly appRoles: readonly string[];
}

export type AuthConfig =
  | { readonly mode: "dev"; readonly users: readonly DevUser[] }
  | {
      readonly mode: "entra";
      readonly clientId: string;
      readonly authority: string;
      /** The API's delegated scope, e.g. `api://<api client id>/Process.ReadWrite`. */
      readonly scope: string;
    };

export interface WebConfig {
  /** The API's origin (no `/api`), e.g. `https://func-xyz.azurewebsites.net`. */
  readonly apiBaseUrl: string;
  readonly auth: AuthConfig;
}

function text(record: Record<string, unknown>, key: string): string {
  const value = record[key];
  if (typeof value !== "string" || value.trim() === "") throw new Error(`config.json: "${key}" is missing`);
  return value.trim();
}

/** Checks what `/config.json` held; throws naming the first thing missing. */
export function parseConfig(json: unknown): WebConfig {
  if (typeof json !== "object" || json === null) throw new Error("config.json is not an object");
  const record = json as Record<string, unknown>;
  const apiBaseUrl = new URL(text(record, "apiBaseUrl")).origin;
  const auth = record.auth;
  if (typeof auth !== "object" || auth === null) throw new Error('config.json: "auth" is missing');
  const authRecord = auth as Record<string, unknown>;
  if (authRecord.mode === "dev") {
    const users = Array.isArray(authRecord.users) ? (authRecord.users as DevUser[]) : [];
    return { apiBaseUrl, auth: { mode: "dev", users } };
  }
  if (authRecord.mode === "entra") {
    return {
      apiBaseUrl,
      auth: {
        mode: "entra",
        clientId: text(authRecord, "clientId"),
        authority: text(authRecord, "authority"),
        scope: text(authRecord, "scope"),
      },
    };
  }
  throw new Error('config.json: "auth.mode" must be "dev" or "entra"');
}
