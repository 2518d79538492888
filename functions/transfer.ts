import azureFunctions from "@azure/functions";

import { ownershipOfferSchema, processParamsSchema, reassignOwnerSchema } from "../shared/api.js";
import { authenticated, json, noContent, parseParams, readJsonBody } from "../shared/http.js";

const { app } = azureFunctions;

/** Issue 14, ownership transfer: thin adapters over shared/domain/transferOffer.ts and transferOwnership.ts. */

export const offerOwnership = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const offer = await readJsonBody(request, ownershipOfferSchema);
  return json(200, await services.useCases.ownershipOffers.offer(caller, id, offer));
});

export const withdrawOwnershipOffer = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  await services.useCases.ownershipOffers.withdraw(caller, id);
  return noContent();
});

export const acceptOwnership = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  await services.useCases.transferOwnership.accept(caller, id);
  return noContent();
});

export const declineOwnership = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  await services.useCases.ownershipOffers.decline(caller, id);
  return noContent();
});

export const reassignOwner = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const { principalId } = await readJsonBody(request, reassignOwnerSchema);
  return json(200, await services.useCases.transferOwnership.reassign(caller, id, principalId));
});

const transfer = "processes/{id}/transfer";
app.http("offerOwnership", {
  route: transfer,
  methods: ["POST"],
  authLevel: "anonymous",
  handler: offerOwnership,
});
app.http("withdrawOwnershipOffer", {
  route: transfer,
  methods: ["DELETE"],
  authLevel: "anonymous",
  handler: withdrawOwnershipOffer,
});
app.http("acceptOwnership", {
  route: `${transfer}/accept`,
  methods: ["POST"],
  authLevel: "anonymous",
  handler: acceptOwnership,
});
app.http("declineOwnership", {
  route: `${transfer}/decline`,
  methods: ["POST"],
  authLevel: "anonymous",
  handler: declineOwnership,
});
app.http("reassignOwner", {
  route: "processes/{id}/owner",
  methods: ["PUT"],
  authLevel: "anonymous",
  handler: reassignOwner,
});
