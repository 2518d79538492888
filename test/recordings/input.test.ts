import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { addRecording } from "../../functions/recordings.js";
import { processPath, startTestApp, type TestApp, users } from "../support/app.js";
import { recordingsApi } from "./support.js";

let app: TestApp;
let api: ReturnType<typeof recordingsApi>;
let processId: string;
let recordingId: string;

beforeAll(async () => {
  app = await startTestApp();
  api = recordingsApi(app);
  processId = await api.createProcess("alice", "taskMining");
  await api.share("alice", processId, "contributor", users.carol.id);
  recordingId = await api.added("carol", processId, { name: "Baseline", labels: ["kept"] });
});
afterAll(async () => {
  await app.close();
});

const labels = (count: number) => Array.from({ length: count }, (_, index) => `label ${index}`);
const applications = (count: number) => Array.from({ length: count }, (_, index) => `App ${index}`);

function fieldsOf(body: any): string[] {
  return body.errors.map((error: { field: string }) => error.field).sort();
}

describe("adding a recording refuses bad input with 400 validation_failed, naming the field", () => {
  test.each([
    ["no name", {}, ["name"]],
    ["an empty name", { name: "" }, ["name"]],
    ["a name of spaces only", { name: "   " }, ["name"]],
    ["a name of 201 characters", { name: "n".repeat(201) }, ["name"]],
    ["a name with a line break", { name: "Month\nend" }, ["name"]],
    ["a name with a control character", { name: "Month\u0007end" }, ["name"]],
    ["a name that is not a string", { name: 42 }, ["name"]],
    ["21 labels", { name: "ok", labels: labels(21) }, ["labels"]],
    ["labels that differ only in case", { name: "ok", labels: ["Finance", "finance"] }, ["labels.1"]],
    ["labels that differ only in spaces around them", { name: "ok", labels: ["a", " a "] }, ["labels.1"]],
    ["an empty label", { name: "ok", labels: [""] }, ["labels.0"]],
    ["a label of 51 characters", { name: "ok", labels: ["l".repeat(51)] }, ["labels.0"]],
    ["a label with a tab", { name: "ok", labels: ["to\tdo"] }, ["labels.0"]],
    ["a label with a NUL", { name: "ok", labels: ["ok\u0000"] }, ["labels.0"]],
    ["a label with a C1 control character", { name: "ok", labels: ["ok\u0085"] }, ["labels.0"]],
    ["labels given as one string", { name: "ok", labels: "finance" }, ["labels"]],
    ["51 applications", { name: "ok", applications: applications(51) }, ["applications"]],
    ["an application of 101 characters", { name: "ok", applications: ["a".repeat(101)] }, ["applications.0"]],
    ["an application given twice", { name: "ok", applications: ["Excel", "EXCEL"] }, ["applications.1"]],
    ["a negative duration", { name: "ok", durationSeconds: -1 }, ["durationSeconds"]],
    ["a fractional duration", { name: "ok", durationSeconds: 1.5 }, ["durationSeconds"]],
    ["a duration over 24 hours", { name: "ok", durationSeconds: 86_401 }, ["durationSeconds"]],
    ["a duration as a string", { name: "ok", durationSeconds: "60" }, ["durationSeconds"]],
    ["an unknown field", { name: "ok", colour: "red" }, ["colour"]],
    ["a claimed author", { name: "ok", addedBy: users.alice.id }, ["addedBy"]],
    [
      "several problems at once",
      { name: "", labels: labels(21), durationSeconds: -5, extra: true },
      ["durationSeconds", "extra", "labels", "name"],
    ],
  ])("%s", async (_case, body, fields) => {
    const response = await api.add("carol", processId, body);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.body.code).toBe("validation_failed");
    expect(fieldsOf(response.body)).toEqual(fields);
  });

  test("nothing refused was stored", async () => {
    const listed = await api.list("alice", processId, "?top=100");
    expect(listed.body.value.map((recording: { id: string }) => recording.id)).toEqual([recordingId]);
  });

  test("the largest valid recording is accepted: 200 characters, 20 labels of 50, 50 applications of 100, 24 hours", async () => {
    const body = {
      name: "n".repeat(200),
      labels: Array.from({ length: 20 }, (_, index) => `${index}`.padEnd(50, "l")),
      applications: Array.from({ length: 50 }, (_, index) => `${index}`.padEnd(100, "a")),
      durationSeconds: 86_400,
    };
    const response = await api.add("carol", processId, body);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject(body);
    expect((await api.remove("carol", processId, response.body.id)).status).toBe(204);
  });

  test("a duration of zero seconds is accepted", async () => {
    const response = await api.add("carol", processId, { name: "Empty take", durationSeconds: 0 });
    expect(response.status).toBe(201);
    expect(response.body.durationSeconds).toBe(0);
    await api.remove("carol", processId, response.body.id);
  });

  test("a body that is not JSON, not declared JSON, or too large is refused before anything else", async () => {
    const call = (headers: Record<string, string>, rawBody: string) =>
      app.call(addRecording, {
        method: "POST",
        as: "carol",
        ...processPath(processId, "/recordings"),
        headers,
        rawBody,
      });
    const notJson = await call({ "content-type": "application/json" }, "{name: 'x'");
    expect([notJson.status, notJson.body.code]).toEqual([400, "malformed_json"]);
    const plain = await call({ "content-type": "text/plain" }, JSON.stringify({ name: "x" }));
    expect([plain.status, plain.body.code]).toEqual([415, "unsupported_media_type"]);
    const huge = await call(
      { "content-type": "application/json" },
      JSON.stringify({ name: "x".repeat(70_000) }),
    );
    expect([huge.status, huge.body.code]).toEqual([413, "payload_too_large"]);
  });
});

describe("labelling a recording refuses bad input with 400 validation_failed, naming the field", () => {
  test.each([
    ["an empty change", {}, [""]],
    ["an empty name", { name: "" }, ["name"]],
    ["a name with a line break", { name: "a\r\nb" }, ["name"]],
    ["21 labels", { labels: labels(21) }, ["labels"]],
    ["duplicate labels", { labels: ["Review", "REVIEW"] }, ["labels.1"]],
    ["a label of 51 characters", { labels: ["l".repeat(51)] }, ["labels.0"]],
    ["a label with a control character", { labels: ["bell\u0007"] }, ["labels.0"]],
    [
      "applications, which are set when the recording is added",
      { labels: [], applications: ["Excel"] },
      ["applications"],
    ],
    [
      "a duration, which is set when the recording is added",
      { labels: [], durationSeconds: 10 },
      ["durationSeconds"],
    ],
    ["a new author", { labels: [], addedBy: users.alice.id }, ["addedBy"]],
  ])("%s", async (_case, body, fields) => {
    const response = await api.update("carol", processId, recordingId, body);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(fieldsOf(response.body)).toEqual(fields);
  });

  test("nothing refused was changed", async () => {
    const stored = await api.get("carol", processId, recordingId);
    expect(stored.body).toMatchObject({ name: "Baseline", labels: ["kept"], etag: '"v1"' });
  });

  test("an empty list of labels clears them", async () => {
    const id = await api.added("carol", processId, { name: "To clear", labels: ["a", "b"] });
    const response = await api.update("carol", processId, id, { labels: [] });
    expect(response.status).toBe(200);
    expect(response.body.labels).toEqual([]);
  });
});

describe("ids that are not GUIDs are refused with 400 validation_failed", () => {
  test.each(["not-a-guid", "recording|x", "123", "00000000-0000-0000-0000-00000000000g"])(
    "process id %j",
    async (bad) => {
      for (const response of [await api.list("alice", bad), await api.add("alice", bad)]) {
        expect(response.status).toBe(400);
        expect(response.body.code).toBe("validation_failed");
        expect(fieldsOf(response.body)).toEqual(["id"]);
      }
    },
  );

  test.each(["not-a-guid", "recording|x", "123", ".."])("recording id %j", async (bad) => {
    for (const response of [
      await api.get("carol", processId, bad),
      await api.update("carol", processId, bad, { labels: [] }),
      await api.remove("carol", processId, bad),
    ]) {
      expect(response.status).toBe(400);
      expect(response.body.code).toBe("validation_failed");
      expect(fieldsOf(response.body)).toEqual(["recordingId"]);
    }
  });
});
