import azureFunctions, { type HttpRequest } from "@azure/functions";

import type { Config } from "../shared/config.js";
import { anonymous, json } from "../shared/http.js";
import type definition from "../shared/openapi/openapi.json";

const { app } = azureFunctions;

type Definition = typeof definition;

/**
 * The repository's definition with this deployment's host and sign-in settings, so that a Power
 * Platform custom connector imports it from this URL as it is.
 */
export function definitionFor(definition: Definition, request: HttpRequest, config: Config): Definition {
  const url = new URL(request.url);
  const scheme = (request.headers.get("x-forwarded-proto") ?? url.protocol.replace(/:$/, "")).split(",")[0];
  const authority = `${config.directory.authorityHost}/${config.auth.tenantId}/oauth2/v2.0`;
  const appIdUri =
    config.auth.audiences.find((audience) => audience.includes("://")) ?? config.auth.audiences[0];
  const scope = `${appIdUri ?? ""}/${config.auth.requiredScope}`;
  const [scopeDescription] = Object.values(definition.securityDefinitions.oauth2.scopes);
  return {
    ...definition,
    host: url.host,
    schemes: [scheme === "http" ? "http" : "https"],
    securityDefinitions: {
      oauth2: {
        ...definition.securityDefinitions.oauth2,
        authorizationUrl: `${authority}/authorize`,
        tokenUrl: `${authority}/token`,
        scopes: { [scope]: scopeDescription ?? "" } as Definition["securityDefinitions"]["oauth2"]["scopes"],
      },
    },
    security: [{ oauth2: [scope] }],
  };
}

/** Anonymous: a connector reads the definition before it can sign anyone in. */
export const getOpenApiDefinition = anonymous(async ({ request, services }) => {
  // Loaded when asked for: the definition is not needed to start or to serve anything else.
  const { default: stored } = await import("../shared/openapi/openapi.json", { with: { type: "json" } });
  return json(200, definitionFor(stored, request, services.config));
});

app.http("getOpenApiDefinition", {
  route: "openapi.json",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getOpenApiDefinition,
});
