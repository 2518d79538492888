import azureFunctions, { type HttpResponseInit, type InvocationContext, type Timer } from "@azure/functions";

import { getServices } from "../shared/composition.js";
import type { ExpiringPosition } from "../shared/domain/listExpiring.js";
import { invalidContinuationToken } from "../shared/errors.js";
import { type AuthenticatedCall, json, openPosition, pageBody } from "../shared/http.js";

const { app } = azureFunctions;

/**
 * `GET /api/processes?expiringWithin=P7D`: the caller's roles that end soon. The window's end is
 * sealed in the continuation token with the window it was asked for, so pages agree.
 */
export async function listExpiring(
  call: AuthenticatedCall,
  top: number,
  windowMs: number,
  continuationToken: string | undefined,
): Promise<HttpResponseInit> {
  const binding = { route: "processes-expiring", resource: String(windowMs) };
  const opened = openPosition(call, binding, continuationToken);
  const expiring = call.services.useCases.listExpiring;
  const position = opened === undefined ? expiring.start(windowMs) : checkPosition(opened);
  const page = await expiring.list(call.caller, top, position);
  const query = new URL(call.request.url).searchParams.get("expiringWithin") ?? "";
  return json(200, pageBody(call, binding, top, page, { expiringWithin: query }));
}

function checkPosition(opened: unknown): ExpiringPosition {
  const { until, token } = (typeof opened === "object" && opened !== null ? opened : {}) as Record<
    string,
    unknown
  >;
  if (typeof until !== "string" || !(token === undefined || typeof token === "string"))
    throw invalidContinuationToken();
  return token === undefined ? { until } : { until, token };
}

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

app.timer("sweepExpiredRoles", { schedule: "0 */5 * * * *", handler: sweepExpiredRoles });
