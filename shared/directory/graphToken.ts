import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

import { ManagedIdentityCredential } from "@azure/identity";
import {
  AuthError,
  ConfidentialClientApplication,
  type INetworkModule,
  LogLevel,
  type NetworkRequestOptions,
  type NetworkResponse,
  type NodeAuthOptions,
} from "@azure/msal-node";

import { ConfigError, type DirectoryConfig } from "../config.js";
import { BadGatewayError, ServiceUnavailableError } from "../errors.js";

/** Entra's audience for a managed identity token used as a federated client assertion. */
export const tokenExchangeScope = "api://AzureADTokenExchange/.default";

export type FetchFunction = typeof fetch;

/** How the app proves who it is to Entra ID, in the order the settings are considered. */
export type GraphCredentialKind = "clientSecret" | "certificate" | "managedIdentity";

export interface GraphTokenOptions {
  readonly fetch?: FetchFunction;
  /** Per network call to the token endpoint. */
  readonly timeoutMs?: number;
}

/** An app-only token for Microsoft Graph from msal-node, cached by msal until shortly before it expires. */
export class GraphTokenProvider {
  readonly credentialKind: GraphCredentialKind;
  private readonly application: ConfidentialClientApplication;
  private readonly scope: string;

  constructor(config: DirectoryConfig, options: GraphTokenOptions = {}) {
    const clientId = config.clientId;
    if (clientId === undefined) {
      throw new ConfigError(["GRAPH_CLIENT_ID: required when DIRECTORY_MODE is graph"]);
    }
    requireSafeEndpoint("AUTH_AUTHORITY_HOST", config.authorityHost);
    requireSafeEndpoint("GRAPH_BASE_URL", config.graphBaseUrl);
    const credential = graphCredential(config);
    this.credentialKind = credential.kind;
    this.scope = `${config.graphBaseUrl}/.default`;
    this.application = new ConfidentialClientApplication({
      auth: {
        clientId,
        ...authorityOptions(config.authorityHost, config.tenantId),
        ...credential.auth,
      },
      system: {
        networkClient: new FetchNetworkClient(options.fetch ?? fetch, options.timeoutMs ?? 10_000),
        loggerOptions: { logLevel: LogLevel.Warning, piiLoggingEnabled: false },
      },
    });
  }

  /** A bearer token for Graph; msal answers from its cache while the token is valid. */
  async accessToken(): Promise<string> {
    try {
      const result = await this.application.acquireTokenByClientCredential({ scopes: [this.scope] });
      if (result === null) throw new BadGatewayError("directory_sign_in_failed", "Entra ID issued no token.");
      return result.accessToken;
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (/network|timeout|abort/i.test(`${error.errorCode} ${error.errorMessage}`)) {
        throw new ServiceUnavailableError(
          "directory_unavailable",
          "Microsoft Entra ID could not be reached to sign in to Microsoft Graph.",
          { cause: error },
        );
      }
      throw new BadGatewayError(
        "directory_sign_in_failed",
        `Signing in to Microsoft Entra ID for Microsoft Graph failed (${error.errorCode}); check GRAPH_CLIENT_ID and its ${this.credentialKind}.`,
        { cause: error },
      );
    }
  }
}

/**
 * msal accepts only https authority names, and must never go looking for discovery metadata on
 * the internet: it is told the endpoints, which for Entra follow from the host and the tenant.
 */
export function authorityOptions(
  authorityHost: string,
  tenantId: string,
): Pick<NodeAuthOptions, "authority" | "authorityMetadata" | "cloudDiscoveryMetadata"> {
  const host = new URL(authorityHost).host;
  const base = `${authorityHost}/${tenantId}`;
  return {
    authority: `https://${host}/${tenantId}`,
    authorityMetadata: JSON.stringify({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      issuer: `${base}/v2.0`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
    }),
    cloudDiscoveryMetadata: JSON.stringify({
      tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    }),
  };
}

/** Secret, then certificate, then the function app's managed identity (no secret at all in Azure). */
function graphCredential(config: DirectoryConfig): {
  kind: GraphCredentialKind;
  auth: Pick<NodeAuthOptions, "clientSecret" | "clientCertificate" | "clientAssertion">;
} {
  if (config.clientSecret !== undefined) {
    return { kind: "clientSecret", auth: { clientSecret: config.clientSecret } };
  }
  if (config.certificatePath !== undefined) {
    return { kind: "certificate", auth: { clientCertificate: readCertificate(config.certificatePath) } };
  }
  const managedIdentity = new ManagedIdentityCredential(
    config.managedIdentityClientId === undefined ? {} : { clientId: config.managedIdentityClientId },
  );
  return {
    kind: "managedIdentity",
    auth: {
      clientAssertion: async () => {
        const token = await managedIdentity.getToken(tokenExchangeScope);
        return token.token;
      },
    },
  };
}

/** A PEM file holding the certificate and its private key, as msal wants them: SHA-256 thumbprint, PKCS#8 key. */
export function readCertificate(path: string): {
  thumbprintSha256: string;
  privateKey: string;
  x5c: string;
} {
  const pem = readFileSync(path, "utf8");
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const key = /-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/.exec(pem)?.[0];
  if (certificate === undefined || key === undefined) {
    throw new ConfigError([
      "GRAPH_CERTIFICATE_PATH: the PEM file must hold the certificate and its unencrypted private key",
    ]);
  }
  return {
    thumbprintSha256: new X509Certificate(certificate).fingerprint256.replace(/:/g, ""),
    privateKey: createPrivateKey(key).export({ type: "pkcs8", format: "pem" }).toString(),
    // Sending the certificate lets Entra accept it by subject name and issuer, so that it can be rolled over.
    x5c: certificate,
  };
}

/** Plain http is accepted for the loopback stand-ins only: a token must never cross a network in clear. */
function requireSafeEndpoint(setting: string, value: string): void {
  const url = new URL(value);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !loopback) {
    throw new ConfigError([`${setting}: must be https (http is for loopback stand-ins only)`]);
  }
}

/** msal's network calls through `fetch`, so that they can be timed out and pointed at a stand-in. */
export class FetchNetworkClient implements INetworkModule {
  constructor(
    private readonly fetchFn: FetchFunction,
    private readonly timeoutMs: number,
  ) {}

  async sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return await this.send<T>("GET", url, options, timeout);
  }

  async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return await this.send<T>("POST", url, options);
  }

  private async send<T>(
    method: string,
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    const response = await this.fetchFn(url, {
      method,
      headers: options?.headers,
      body: options?.body,
      signal: AbortSignal.timeout(timeout ?? this.timeoutMs),
    });
    const text = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    let body: unknown;
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch {
      body = { error: "invalid_response", error_description: `HTTP ${response.status}, not JSON` };
    }
    return { headers, body: body as T, status: response.status };
  }
}
