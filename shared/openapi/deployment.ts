import type definition from "./openapi.json";

export type Definition = typeof definition;

/** Where one deployment of the API answers and how its callers sign in. */
export interface Deployment {
  /** Host name and optional port, as a Swagger 2.0 `host`: `func-processes.azurewebsites.net`. */
  readonly host: string;
  readonly scheme: "http" | "https";
  /** The Entra authority, e.g. `https://login.microsoftonline.com/<tenant>`. */
  readonly authority: string;
  /** The API's app id URI, e.g. `api://<client id>`. */
  readonly appIdUri: string;
  /** The delegated scope every token carries, e.g. `Process.ReadWrite`. */
  readonly requiredScope: string;
}

/** The full scope a client asks for: the app id URI and the scope name. */
export function scopeOf(deployment: Pick<Deployment, "appIdUri" | "requiredScope">): string {
  return `${deployment.appIdUri.replace(/\/+$/, "")}/${deployment.requiredScope}`;
}

/**
 * The repository's definition with one deployment's host and sign-in settings, so that a Power
 * Platform custom connector imports it as it is (served by the API, written by the connector script).
 */
export function definitionFor(stored: Definition, deployment: Deployment): Definition {
  const authority = `${deployment.authority.replace(/\/+$/, "")}/oauth2/v2.0`;
  const scope = scopeOf(deployment);
  const [scopeDescription] = Object.values(stored.securityDefinitions.oauth2.scopes);
  return {
    ...stored,
    host: deployment.host,
    schemes: [deployment.scheme],
    securityDefinitions: {
      oauth2: {
        ...stored.securityDefinitions.oauth2,
        authorizationUrl: `${authority}/authorize`,
        tokenUrl: `${authority}/token`,
        scopes: { [scope]: scopeDescription ?? "" } as Definition["securityDefinitions"]["oauth2"]["scopes"],
      },
    },
    security: [{ oauth2: [scope] }],
  };
}

/**
 * The URL the caller used: the request's, with the scheme a proxy in front of the app reports
 * (`X-Forwarded-Proto`), so that links given back work from where the caller stands.
 */
export function calledUrl(request: { readonly url: string; readonly headers: Headers }): URL {
  const url = new URL(request.url);
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  if (forwarded === "http" || forwarded === "https") url.protocol = `${forwarded}:`;
  return url;
}
