import azureFunctions from "@azure/functions";

import { pageQuerySchema, processParamsSchema } from "../shared/api.js";
import {
  authenticated,
  json,
  noContent,
  openStoragePosition,
  pageBody,
  parseParams,
  parseQuery,
  readJsonBody,
} from "../shared/http.js";
import {
  addRecordingSchema,
  recordingParamsSchema,
  updateRecordingSchema,
} from "../shared/recordings/recordingSchemas.js";

const { app } = azureFunctions;

export const listRecordings = authenticated(async (call) => {
  const { id } = parseParams(call.request, processParamsSchema);
  const { top, continuationToken } = parseQuery(call.request, pageQuerySchema);
  const binding = { route: "recordings", resource: id };
  const position = openStoragePosition(call, binding, continuationToken);
  const page = await call.services.recordings.list(call.caller, id, top, position);
  return json(200, pageBody(call, binding, top, page));
});

export const addRecording = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const input = await readJsonBody(request, addRecordingSchema);
  const recording = await services.recordings.add(caller, id, input);
  return json(201, recording, {
    ETag: recording.etag,
    Location: `/api/processes/${id}/recordings/${recording.id}`,
  });
});

export const getRecording = authenticated(async ({ request, caller, services }) => {
  const { id, recordingId } = parseParams(request, recordingParamsSchema);
  const recording = await services.recordings.get(caller, id, recordingId);
  return json(200, recording, { ETag: recording.etag });
});

export const updateRecording = authenticated(async ({ request, caller, services }) => {
  const { id, recordingId } = parseParams(request, recordingParamsSchema);
  const changes = await readJsonBody(request, updateRecordingSchema);
  const ifMatch = request.headers.get("if-match") ?? undefined;
  const recording = await services.recordings.update(caller, id, recordingId, changes, ifMatch);
  return json(200, recording, { ETag: recording.etag });
});

export const deleteRecording = authenticated(async ({ request, caller, services }) => {
  const { id, recordingId } = parseParams(request, recordingParamsSchema);
  await services.recordings.delete(caller, id, recordingId, request.headers.get("if-match") ?? undefined);
  return noContent();
});

const recordings = "processes/{id}/recordings";
const recording = `${recordings}/{recordingId}`;
app.http("listRecordings", {
  route: recordings,
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listRecordings,
});
app.http("addRecording", {
  route: recordings,
  methods: ["POST"],
  authLevel: "anonymous",
  handler: addRecording,
});
app.http("getRecording", {
  route: recording,
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getRecording,
});
app.http("updateRecording", {
  route: recording,
  methods: ["PATCH"],
  authLevel: "anonymous",
  handler: updateRecording,
});
app.http("deleteRecording", {
  route: recording,
  methods: ["DELETE"],
  authLevel: "anonymous",
  handler: deleteRecording,
});
