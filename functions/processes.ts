import azureFunctions, { type InvocationContext, type Timer } from "@azure/functions";

import {
  createProcessSchema,
  listQuerySchema,
  processParamsSchema,
  updateProcessSchema,
} from "../shared/api.js";
import { getServices } from "../shared/composition.js";
import type { ProcessView } from "../shared/domain/sharingCore.js";
import {
  authenticated,
  json,
  noContent,
  openPosition,
  pageBody,
  parseParams,
  parseQuery,
  readJsonBody,
} from "../shared/http.js";
import { listExpiring } from "./expiry.js";

export { nextLink } from "../shared/http.js";

const { app } = azureFunctions;

/** The process as the API shows it; its version travels in the `ETag` header. */
function processBody(view: ProcessView): Omit<ProcessView, "etag"> {
  const { etag: _etag, ...body } = view;
  return body;
}

export const createProcess = authenticated(async ({ request, caller, services }) => {
  const input = await readJsonBody(request, createProcessSchema);
  const view = await services.useCases.createProcess.create(caller, input);
  return json(201, processBody(view), { ETag: view.etag, Location: `/api/processes/${view.id}` });
});

export const listProcesses = authenticated(async (call) => {
  const { top, continuationToken, expiringWithin } = parseQuery(call.request, listQuerySchema);
  if (expiringWithin !== undefined) return await listExpiring(call, top, expiringWithin, continuationToken);
  const binding = { route: "processes", resource: "" };
  const position = openPosition(call, binding, continuationToken);
  const page = await call.services.useCases.listProcesses.list(call.caller, top, position);
  return json(200, pageBody(call, binding, top, page));
});

export const getProcess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const view = await services.useCases.getProcess.get(caller, id);
  return json(200, processBody(view), { ETag: view.etag });
});

export const updateProcess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const changes = await readJsonBody(request, updateProcessSchema);
  const ifMatch = request.headers.get("if-match") ?? undefined;
  const view = await services.useCases.updateProcess.update(caller, id, changes, ifMatch);
  return json(200, processBody(view), { ETag: view.etag });
});

export const deleteProcess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  await services.useCases.deleteProcess.delete(caller, id);
  return noContent();
});

/** Every 30 seconds: list rows that writes left ahead of a commit that never came are put right. */
export async function repairLists(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = getServices();
  await services.ready();
  const { repaired, failed } = await services.useCases.repairLists.sweep();
  if (repaired > 0 || failed > 0) context.log("List repair sweep", { repaired, failed });
}

app.http("createProcess", {
  route: "processes",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: createProcess,
});
app.http("listProcesses", {
  route: "processes",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listProcesses,
});
app.http("getProcess", {
  route: "processes/{id}",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getProcess,
});
app.http("updateProcess", {
  route: "processes/{id}",
  methods: ["PATCH"],
  authLevel: "anonymous",
  handler: updateProcess,
});
app.http("deleteProcess", {
  route: "processes/{id}",
  methods: ["DELETE"],
  authLevel: "anonymous",
  handler: deleteProcess,
});
app.timer("repairLists", { schedule: "*/30 * * * * *", handler: repairLists });
