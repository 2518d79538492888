import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { DevIdentityProvider, type DevTokenRequest } from "../../local/identityProvider.js";
import { type AuthConfig, loadConfig } from "../../shared/config.js";
import { DevDirectory, readDevDirectory } from "../../shared/directory/devDirectory.js";

/** The API's client id agreed in the local settings. */
export const testClientId = "3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01";

export interface TestIdentityOptions {
  /** Defaults to the bundled dev directory (and its tenant). */
  readonly directory?: DevDirectory;
  readonly clientId?: string;
  readonly tenantId?: string;
}

export interface TestIdentity {
  readonly provider: DevIdentityProvider;
  readonly issuer: string;
  readonly jwksUri: string;
  /** The AUTH_* settings that point the API at this provider. */
  readonly authSettings: Record<string, string>;
  /** The API's auth configuration, read from `authSettings` as the app reads it. */
  readonly authConfig: AuthConfig;
  readonly tenantId: string;
  readonly clientId: string;
  /** A token for a dev user (`alice`), deliberately wrong when `overrides` say so. */
  token(user: string, overrides?: Omit<DevTokenRequest, "user">): Promise<string>;
  /** How many times the JWKS has been fetched so far. */
  jwksRequests(): number;
  close(): Promise<void>;
}

/** The dev identity provider over real HTTP on a free loopback port, counting JWKS fetches. */
export async function startTestIdentity(options: TestIdentityOptions = {}): Promise<TestIdentity> {
  const bundled = readDevDirectory();
  const directory = options.directory ?? new DevDirectory(bundled);
  const clientId = options.clientId ?? testClientId;
  const tenantId = options.tenantId ?? bundled.tenantId;
  let jwksFetches = 0;
  // The issuer names the port, so the provider is made once the server listens.
  const served: { provider?: DevIdentityProvider } = {};

  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const provider = served.provider;
    if (provider === undefined) {
      res.writeHead(503).end();
      return;
    }
    if (pathname === new URL(provider.jwksUri).pathname) jwksFetches += 1;
    provider.handle(req, res, pathname).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      () => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const created = await DevIdentityProvider.create({
    issuer: `http://127.0.0.1:${port}/dev/identity`,
    clientId,
    tenantId,
    directory,
  });
  served.provider = created;

  const authSettings = {
    AUTH_TENANT_ID: tenantId,
    AUTH_CLIENT_ID: clientId,
    AUTH_ISSUER: created.issuer,
    AUTH_JWKS_URI: created.jwksUri,
  };
  const authConfig = loadConfig({
    ...authSettings,
    Storage: "UseDevelopmentStorage=true",
    APP_BASE_URL: "http://localhost:3000",
    EMAIL_CONNECTION_STRING: "endpoint=http://127.0.0.1:1/;accesskey=dGVzdA==",
    EMAIL_SENDER_ADDRESS: "DoNotReply@contoso.example",
  }).auth;

  return {
    provider: created,
    issuer: created.issuer,
    jwksUri: created.jwksUri,
    authSettings,
    authConfig,
    tenantId,
    clientId,
    token: async (user, overrides = {}) => (await created.mint({ ...overrides, user })).access_token,
    jwksRequests: () => jwksFetches,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      });
    },
  };
}
