import type { AuthConfig, DevUser } from "../logic/config.js";

/**
 * Who is signed in and how to get their token. Locally: a dev user, whose token comes from the
 * dev identity provider on the API host. In Azure: Microsoft Entra through MSAL (loaded only then).
 */
export interface Session {
  readonly name: string;
  readonly username: string;
  getToken(): Promise<string>;
  signOut(): Promise<void>;
}

const devKey = "process-sharing.dev-session";

interface StoredDevSession {
  readonly alias: string;
  readonly displayName: string;
  readonly email: string;
  readonly token: string;
  readonly expiresAt: number;
}

export async function devSignIn(apiBaseUrl: string, user: DevUser): Promise<Session> {
  const response = await fetch(`${apiBaseUrl}/dev/identity/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: user.alias }),
  });
  if (!response.ok)
    throw new Error(`The dev identity provider refused to sign in ${user.alias} (${response.status}).`);
  const minted = (await response.json()) as { access_token: string; expires_in: number };
  const stored: StoredDevSession = {
    alias: user.alias,
    displayName: user.displayName,
    email: user.email,
    token: minted.access_token,
    expiresAt: Date.now() + minted.expires_in * 1000,
  };
  sessionStorage.setItem(devKey, JSON.stringify(stored));
  return devSession(stored);
}

function devSession(stored: StoredDevSession): Session {
  return {
    name: stored.displayName,
    username: stored.email,
    getToken: () => Promise.resolve(stored.token),
    signOut: () => {
      sessionStorage.removeItem(devKey);
      return Promise.resolve();
    },
  };
}

/** The dev session kept in this tab, if its token has not expired. */
export function restoreDevSession(): Session | undefined {
  const text = sessionStorage.getItem(devKey);
  if (text === null) return undefined;
  try {
    const stored = JSON.parse(text) as StoredDevSession;
    if (stored.expiresAt - 60_000 < Date.now()) return undefined;
    return devSession(stored);
  } catch {
    return undefined;
  }
}

export function forgetDevSession(): void {
  sessionStorage.removeItem(devKey);
}

/** Entra sign-in: MSAL is imported only in this mode, so local use never downloads it. */
export async function entraSession(
  auth: Extract<AuthConfig, { mode: "entra" }>,
  interactive: boolean,
): Promise<Session | undefined> {
  const msal = await import("./msal.js");
  return await msal.entraSession(auth, interactive);
}
