import { type AccountInfo, InteractionRequiredAuthError, PublicClientApplication } from "@azure/msal-browser";

import type { AuthConfig } from "../logic/config.js";
import type { Session } from "./session.js";

let client: PublicClientApplication | undefined;

async function msalClient(auth: Extract<AuthConfig, { mode: "entra" }>): Promise<PublicClientApplication> {
  if (client !== undefined) return client;
  client = new PublicClientApplication({
    auth: {
      clientId: auth.clientId,
      authority: auth.authority,
      redirectUri: `${window.location.origin}/`,
      postLogoutRedirectUri: `${window.location.origin}/`,
    },
    cache: { cacheLocation: "sessionStorage" },
  });
  await client.initialize();
  return client;
}

/**
 * The signed-in Entra account, after a redirect back from sign-in if there was one; with
 * `interactive`, sends the browser to sign in when nobody is.
 */
export async function entraSession(
  auth: Extract<AuthConfig, { mode: "entra" }>,
  interactive: boolean,
): Promise<Session | undefined> {
  const app = await msalClient(auth);
  const redirected = await app.handleRedirectPromise();
  const account: AccountInfo | undefined = redirected?.account ?? app.getAllAccounts()[0];
  if (account === undefined) {
    if (interactive) await app.loginRedirect({ scopes: [auth.scope] });
    return undefined;
  }
  app.setActiveAccount(account);
  return {
    name: account.name ?? account.username,
    username: account.username,
    async getToken() {
      try {
        return (await app.acquireTokenSilent({ scopes: [auth.scope], account })).accessToken;
      } catch (error) {
        if (error instanceof InteractionRequiredAuthError) {
          await app.acquireTokenRedirect({ scopes: [auth.scope], account });
        }
        throw error;
      }
    },
    async signOut() {
      await app.logoutRedirect({ account });
    },
  };
}
