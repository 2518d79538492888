import azureFunctions from "@azure/functions";

import { anonymous, json } from "../shared/http.js";
import { calledUrl, definitionFor } from "../shared/openapi/deployment.js";

const { app } = azureFunctions;

/** Anonymous: a connector reads the definition before it can sign anyone in. */
export const getOpenApiDefinition = anonymous(async ({ request, services }) => {
  // Loaded when asked for: the definition is not needed to start or to serve anything else.
  const { default: stored } = await import("../shared/openapi/openapi.json", { with: { type: "json" } });
  const { config } = services;
  const url = calledUrl(request);
  const appIdUri =
    config.auth.audiences.find((audience) => audience.includes("://")) ?? config.auth.audiences[0] ?? "";
  return json(
    200,
    definitionFor(stored, {
      host: url.host,
      scheme: url.protocol === "http:" ? "http" : "https",
      authority: `${config.directory.authorityHost}/${config.auth.tenantId}`,
      appIdUri,
      requiredScope: config.auth.requiredScope,
    }),
  );
});

app.http("getOpenApiDefinition", {
  route: "openapi.json",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getOpenApiDefinition,
});
