import azureFunctions from "@azure/functions";

import { environmentRights } from "../shared/domain/permissions.js";
import { anonymous, authenticated, json } from "../shared/http.js";

const { app } = azureFunctions;

/** The caller as the service resolved it from the token. */
export const getMe = authenticated(({ caller, services }) => {
  const rights = environmentRights(caller, services.config.auth);
  return Promise.resolve(json(200, { ...caller, ...rights }));
});

/** Anonymous liveness and storage reachability; reveals nothing else. */
export const getHealth = anonymous(async ({ services, context }) => {
  const health = await services.useCases.checkHealth.check();
  if (health.status === "ok") return json(200, { status: "ok" });
  context.warn("Health check: storage unreachable", health.reason);
  return json(503, { status: "unavailable" });
});

app.http("getMe", { route: "me", methods: ["GET"], authLevel: "anonymous", handler: getMe });
app.http("getHealth", { route: "health", methods: ["GET"], authLevel: "anonymous", handler: getHealth });
