import { randomBytes } from "node:crypto";

import { z } from "zod";

/**
 * Every setting the app reads, in one schema. `local.settings.sample.json`, the README and
 * `infra/` name exactly these (a test holds them together). Read once, frozen, and a missing or
 * malformed setting fails at start-up with its name.
 */

const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID");
const url = z.url({ protocol: /^https?$/ });
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );

export const settingsSchema = z
  .object({
    /** Storage connection (Functions convention for the connection name `Storage`). */
    Storage: optionalText,
    Storage__tableServiceUri: url.optional(),
    Storage__queueServiceUri: url.optional(),
    Storage__credential: z.literal("managedidentity").optional(),
    Storage__clientId: guid.optional(),
    STORAGE_TABLE_PREFIX: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,19}$|^$/, "letters and digits, starting with a letter, at most 20")
      .default(""),

    AUTH_TENANT_ID: guid,
    AUTH_CLIENT_ID: guid,
    AUTH_APP_ID_URI: optionalText,
    AUTH_REQUIRED_SCOPE: z
      .string()
      .regex(/^[\w.-]+$/, "one scope name")
      .default("Process.ReadWrite"),
    AUTH_ADMIN_ROLE: z.string().min(1).default("Process.Admin"),
    AUTH_SHARE_ROLE: z.string().min(1).default("Process.Share.All"),
    AUTH_AUTHORITY_HOST: url.default("https://login.microsoftonline.com"),
    /** Local identity provider and tests only: an issuer and JWKS other than Entra's. */
    AUTH_ISSUER: url.optional(),
    AUTH_JWKS_URI: url.optional(),

    APP_BASE_URL: url,
    CORS_ALLOWED_ORIGINS: list,

    EMAIL_CONNECTION_STRING: optionalText,
    EMAIL_ENDPOINT: url.optional(),
    EMAIL_SENDER_ADDRESS: z.email(),
    INVITATION_RESEND_COOLDOWN_SECONDS: positiveInt(300),
    /** Invitation emails one sharer may cause per sliding hour (shares, role changes, re-sends). */
    INVITATION_SHARER_HOURLY_QUOTA: z.coerce.number().int().min(1).max(500).default(100),

    DIRECTORY_MODE: z.enum(["dev", "graph"]).default("graph"),
    DEV_DIRECTORY_FILE: optionalText,
    GRAPH_BASE_URL: url.default("https://graph.microsoft.com"),
    GRAPH_CLIENT_ID: guid.optional(),
    GRAPH_CLIENT_SECRET: optionalText,
    GRAPH_CERTIFICATE_PATH: optionalText,
    GRAPH_MANAGED_IDENTITY_CLIENT_ID: guid.optional(),
    GRAPH_API_SERVICE_PRINCIPAL_ID: guid.optional(),
    /** What a guest may ask the people picker: an exact address (Entra's default for guests), nothing, or any prefix as members. */
    USERS_GUEST_SEARCH: z.enum(["exactAddress", "none", "prefix"]).default("exactAddress"),

    RECORDINGS_MAX_PER_PROCESS: positiveInt(10_000),
    RECORDINGS_MAX_PER_USER: positiveInt(1_000),
    /** The key that seals continuation tokens: 32 bytes, base64. Required in Azure; generated locally. */
    PAGING_TOKEN_KEY: z
      .string()
      .refine((value) => Buffer.from(value, "base64").length === 32, "32 bytes, base64 encoded")
      .optional(),
  })
  .superRefine((s, ctx) => {
    if (
      s.Storage === undefined &&
      (s.Storage__tableServiceUri === undefined || s.Storage__queueServiceUri === undefined)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["Storage"],
        message: "set Storage (a connection string) or Storage__tableServiceUri and Storage__queueServiceUri",
      });
    }
    if (s.EMAIL_CONNECTION_STRING === undefined && s.EMAIL_ENDPOINT === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["EMAIL_CONNECTION_STRING"],
        message: "set EMAIL_CONNECTION_STRING (local) or EMAIL_ENDPOINT (managed identity)",
      });
    }
    if ((s.AUTH_ISSUER === undefined) !== (s.AUTH_JWKS_URI === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_JWKS_URI"],
        message: "AUTH_ISSUER and AUTH_JWKS_URI go together",
      });
    }
  });

/** The names of every setting the app reads; infra and the sample settings file are held to this list. */
export const settingNames: readonly string[] = Object.keys(settingsSchema.shape);

export interface StorageConfig {
  readonly connectionString?: string;
  readonly tableServiceUri?: string;
  readonly queueServiceUri?: string;
  readonly managedIdentityClientId?: string;
  readonly tablePrefix: string;
}

export interface AuthConfig {
  readonly tenantId: string;
  readonly audiences: readonly string[];
  readonly requiredScope: string;
  readonly adminRole: string;
  readonly shareRole: string;
  /** Accepted issuers: Entra's v1 and v2 forms for the tenant, or the one override. */
  readonly issuers: readonly string[];
  readonly jwksUri: string;
}

export interface EmailConfig {
  readonly connectionString?: string;
  readonly endpoint?: string;
  readonly senderAddress: string;
  /** Least time between two invitation emails to one person about one process, on every path. */
  readonly resendCooldownSeconds: number;
  /** Invitation emails one sharer may cause per sliding hour. */
  readonly sharerHourlyQuota: number;
}

export interface DirectoryConfig {
  readonly mode: "dev" | "graph";
  readonly devFile?: string;
  readonly graphBaseUrl: string;
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly certificatePath?: string;
  readonly managedIdentityClientId?: string;
  readonly apiServicePrincipalId?: string;
}

/** What a guest may ask the people picker: an exact address only, nothing, or any prefix as members may. */
export type GuestSearch = "exactAddress" | "none" | "prefix";

export interface RecordingsConfig {
  readonly maxPerProcess: number;
  /** Per user within one process. */
  readonly maxPerUser: number;
}

export interface Config {
  readonly storage: StorageConfig;
  readonly auth: AuthConfig;
  readonly appBaseUrl: string;
  readonly corsAllowedOrigins: readonly string[];
  readonly email: EmailConfig;
  readonly directory: DirectoryConfig;
  readonly guestSearch: GuestSearch;
  readonly recordings: RecordingsConfig;
  /** The continuation tokens' sealing key (base64 of 32 bytes). */
  readonly pagingTokenKey: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  // An empty setting is an unset one, as a blank value in local.settings.json or the portal means.
  const given = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const parsed = settingsSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "settings"}: ${issue.message}`),
    );
  }
  const s = parsed.data;
  // In Azure (the platform sets WEBSITE_INSTANCE_ID) tokens must outlive an instance: the key is a setting.
  if (s.PAGING_TOKEN_KEY === undefined && given.WEBSITE_INSTANCE_ID !== undefined) {
    throw new ConfigError(["PAGING_TOKEN_KEY: required in Azure (32 random bytes, base64)"]);
  }
  const authority = s.AUTH_AUTHORITY_HOST.replace(/\/+$/, "");
  const config: Config = {
    storage: {
      connectionString: s.Storage,
      tableServiceUri: s.Storage__tableServiceUri,
      queueServiceUri: s.Storage__queueServiceUri,
      managedIdentityClientId: s.Storage__clientId,
      tablePrefix: s.STORAGE_TABLE_PREFIX,
    },
    auth: {
      tenantId: s.AUTH_TENANT_ID.toLowerCase(),
      audiences: [
        s.AUTH_CLIENT_ID.toLowerCase(),
        s.AUTH_APP_ID_URI ?? `api://${s.AUTH_CLIENT_ID.toLowerCase()}`,
      ],
      requiredScope: s.AUTH_REQUIRED_SCOPE,
      adminRole: s.AUTH_ADMIN_ROLE,
      shareRole: s.AUTH_SHARE_ROLE,
      issuers:
        s.AUTH_ISSUER !== undefined
          ? [s.AUTH_ISSUER]
          : [
              `https://sts.windows.net/${s.AUTH_TENANT_ID.toLowerCase()}/`,
              `${authority}/${s.AUTH_TENANT_ID.toLowerCase()}/v2.0`,
            ],
      jwksUri: s.AUTH_JWKS_URI ?? `${authority}/${s.AUTH_TENANT_ID.toLowerCase()}/discovery/v2.0/keys`,
    },
    appBaseUrl: s.APP_BASE_URL.replace(/\/+$/, ""),
    corsAllowedOrigins: s.CORS_ALLOWED_ORIGINS,
    email: {
      connectionString: s.EMAIL_CONNECTION_STRING,
      endpoint: s.EMAIL_ENDPOINT,
      senderAddress: s.EMAIL_SENDER_ADDRESS,
      resendCooldownSeconds: s.INVITATION_RESEND_COOLDOWN_SECONDS,
      sharerHourlyQuota: s.INVITATION_SHARER_HOURLY_QUOTA,
    },
    directory: {
      mode: s.DIRECTORY_MODE,
      devFile: s.DEV_DIRECTORY_FILE,
      graphBaseUrl: s.GRAPH_BASE_URL.replace(/\/+$/, ""),
      authorityHost: authority,
      tenantId: s.AUTH_TENANT_ID.toLowerCase(),
      clientId: s.GRAPH_CLIENT_ID,
      clientSecret: s.GRAPH_CLIENT_SECRET,
      certificatePath: s.GRAPH_CERTIFICATE_PATH,
      managedIdentityClientId: s.GRAPH_MANAGED_IDENTITY_CLIENT_ID,
      apiServicePrincipalId: s.GRAPH_API_SERVICE_PRINCIPAL_ID,
    },
    guestSearch: s.USERS_GUEST_SEARCH,
    recordings: { maxPerProcess: s.RECORDINGS_MAX_PER_PROCESS, maxPerUser: s.RECORDINGS_MAX_PER_USER },
    pagingTokenKey: s.PAGING_TOKEN_KEY ?? randomBytes(32).toString("base64"),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

let current: Config | undefined;

/** The app's configuration, read from the environment on first use. */
export function getConfig(): Config {
  current ??= loadConfig();
  return current;
}
