import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

/**
 * The managed identity the app uses in Azure, created once. `@azure/identity` (and the msal copy
 * it carries) is loaded on the first token request only: locally, with connection strings, it is
 * never loaded, and a cold start in Azure does not parse it before the first call needs it.
 */
export function azureCredential(managedIdentityClientId?: string): TokenCredential {
  const key = managedIdentityClientId ?? "";
  let credential = credentials.get(key);
  if (credential === undefined) {
    credential = new LazyCredential(async () => {
      const identity = await import("@azure/identity");
      return managedIdentityClientId !== undefined
        ? new identity.ManagedIdentityCredential({ clientId: managedIdentityClientId })
        : new identity.DefaultAzureCredential();
    });
    credentials.set(key, credential);
  }
  return credential;
}

const credentials = new Map<string, TokenCredential>();

class LazyCredential implements TokenCredential {
  private credential: Promise<TokenCredential> | undefined;

  constructor(private readonly load: () => Promise<TokenCredential>) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.credential ??= this.load();
    return await (await this.credential).getToken(scopes, options);
  }
}
