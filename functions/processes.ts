import azureFunctions, { type HttpRequest } from "@azure/functions";

import {
  createProcessSchema,
  pageQuerySchema,
  processParamsSchema,
  updateProcessSchema,
} from "../shared/api.js";
import type { ProcessView } from "../shared/domain/processService.js";
import { authenticated, json, noContent, parseParams, parseQuery, readJsonBody } from "../shared/http.js";
import { calledUrl } from "../shared/openapi/deployment.js";

const { app } = azureFunctions;

/** The process as the API shows it; its version travels in the `ETag` header. */
function processBody(view: ProcessView): Omit<ProcessView, "etag"> {
  const { etag: _etag, ...body } = view;
  return body;
}

export const createProcess = authenticated(async ({ request, caller, services }) => {
  const input = await readJsonBody(request, createProcessSchema);
  const view = await services.processes.create(caller, input);
  return json(201, processBody(view), { ETag: view.etag, Location: `/api/processes/${view.id}` });
});

export const listProcesses = authenticated(async ({ request, caller, services }) => {
  const { top, continuationToken } = parseQuery(request, pageQuerySchema);
  const page = await services.processes.list(caller, top, continuationToken);
  return json(200, {
    value: page.items,
    ...(page.continuationToken !== undefined && { nextLink: nextLink(request, top, page.continuationToken) }),
  });
});

export const getProcess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const view = await services.processes.get(caller, id);
  return json(200, processBody(view), { ETag: view.etag });
});

export const updateProcess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const changes = await readJsonBody(request, updateProcessSchema);
  const view = await services.processes.update(
    caller,
    id,
    changes,
    request.headers.get("if-match") ?? undefined,
  );
  return json(200, processBody(view), { ETag: view.etag });
});

export const deleteProcess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  await services.processes.delete(caller, id);
  return noContent();
});

/** The next page's absolute URL, on the host that was called (Power Automate follows only absolute links). */
export function nextLink(request: HttpRequest, top: number, continuationToken: string): string {
  const url = calledUrl(request);
  url.search = new URLSearchParams({ top: String(top), continuationToken }).toString();
  url.hash = "";
  return url.href;
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
