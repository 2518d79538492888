import azureFunctions, { type InvocationContext, type Timer } from "@azure/functions";

import { principalParamsSchema } from "../shared/api.js";
import { getServices } from "../shared/composition.js";
import { authenticated, json, parseParams } from "../shared/http.js";

const { app } = azureFunctions;

/** Why a person has, or lacks, each action on a process (viewAccess, or about yourself). */
export const explainAccess = authenticated(async ({ request, caller, services }) => {
  const { id, principalId } = parseParams(request, principalParamsSchema);
  return json(200, await services.useCases.explainAccess.explain(caller, id, principalId));
});

/**
 * Every 5 minutes: roles whose expiry has passed become revocations (audited as the system's).
 * Access ended at `expiresAt` already, checked against the clock; this tidies what is stored.
 */
export async function sweepExpiredRoles(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = getServices();
  await services.ready();
  const { expired, settled, failed } = await services.useCases.expirySweep.sweep();
  if (expired > 0 || failed > 0) context.log("Expiry sweep", { expired, settled, failed });
}

app.http("explainAccess", {
  route: "processes/{id}/access/{principalId}/explain",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: explainAccess,
});
app.timer("sweepExpiredRoles", { schedule: "0 */5 * * * *", handler: sweepExpiredRoles });
