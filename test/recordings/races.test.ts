import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";
import { odata } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { recordingPrefix } from "../../shared/recordings/recordingRows.js";
import { startTestApp, type TestApp, users } from "../support/app.js";
import { recordingsApi } from "./support.js";

/**
 * Recordings against role changes and each other (issue 11, findings 4 and 12): a contributor
 * adding recordings as fast as they can never holds up their own revocation, an add whose
 * role is revoked between its read and its write stores nothing, the limits hold under
 * concurrent adds, and a recording deleted meanwhile is 404, not 412.
 */

const limits = { perProcess: 8, perUser: 5 };

let app: TestApp;
let api: ReturnType<typeof recordingsApi>;

/** Counts role-change commit attempts: only a role change (never a recording) writes the process row. */
const processRowCommits = {
  count: 0,
  policy: {
    name: "processRowCommits",
    sendRequest: async (request: PipelineRequest, next: (request: PipelineRequest) => Promise<any>) => {
      if (
        isBatch(request) &&
        typeof request.body === "string" &&
        request.body.includes("RowKey='process')")
      ) {
        processRowCommits.count += 1;
      }
      return await next(request);
    },
  } satisfies PipelinePolicy,
};

beforeAll(async () => {
  app = await startTestApp({ services: { storagePolicies: [processRowCommits.policy] } });
  api = recordingsApi(app);
});
afterAll(async () => {
  await app.close();
});

/** A task mining process owned by alice, bob a co-owner, carol a contributor. */
async function teamProcess(): Promise<string> {
  const id = await api.createProcess("alice", "taskMining");
  await api.share("alice", id, "coOwner", users.bob.id);
  await api.share("alice", id, "contributor", users.carol.id);
  return id;
}

/** The recordings stored for a process, with who added each, read straight from the table. */
const storedRecordings = (processId: string) => recordingsIn(app, processId);

async function recordingsIn(app: TestApp, processId: string): Promise<{ id: string; addedBy: string }[]> {
  const rows: { id: string; addedBy: string }[] = [];
  for await (const entity of app.services.store.tables.processes.listEntities<{ addedBy: string }>({
    queryOptions: {
      filter: odata`PartitionKey eq ${processId} and RowKey gt ${recordingPrefix} and RowKey lt ${"recording}"}`,
    },
  })) {
    rows.push({ id: (entity.rowKey ?? "").slice(recordingPrefix.length), addedBy: entity.addedBy });
  }
  return rows;
}

const isBatch = (request: PipelineRequest): boolean => new URL(request.url).pathname.endsWith("/$batch");

describe("a contributor adding recordings and their revocation", () => {
  test("a revoke succeeds while the contributor adds recordings in six loops; afterwards every add is refused", async () => {
    const id = await teamProcess();
    // The revoke starts once the loops are in full swing: 30 recordings added.
    let inFullSwing!: () => void;
    const started = new Promise<void>((resolve) => (inFullSwing = resolve));
    const answers: { status: number; code?: string }[] = [];
    const loop = async (): Promise<void> => {
      // Bounded: a loop stops at its first refusal, or after 400 adds whatever happens.
      for (let index = 0; index < 400; index++) {
        const response = await api.add("carol", id, { name: `Take ${index}` });
        answers.push({ status: response.status, code: response.body?.code });
        if (response.status !== 201) return;
        if (answers.length >= 30) inFullSwing();
      }
    };
    const loops = Array.from({ length: 6 }, loop);
    await started;
    processRowCommits.count = 0;
    const revoke = await api.revoke("alice", id, users.carol.id);
    const revokeAttempts = processRowCommits.count;
    await Promise.all(loops);

    console.info(`revoke took ${revokeAttempts} commit attempt(s) against ${answers.length} concurrent adds`);
    expect(revoke.status).toBe(204);
    expect(revokeAttempts).toBeGreaterThanOrEqual(1);
    // Every loop ended on the revoke, and on nothing else.
    const refusals = answers.filter((answer) => answer.status !== 201);
    expect(refusals).toHaveLength(6);
    for (const refusal of refusals) expect(refusal).toEqual({ status: 403, code: "access_revoked" });
    // What was answered 201 is exactly what is stored; nothing else got in.
    const added = answers.filter((answer) => answer.status === 201).length;
    expect((await storedRecordings(id)).filter((row) => row.addedBy === users.carol.id)).toHaveLength(added);
    const after = await api.add("carol", id);
    expect(after.status).toBe(403);
    expect(after.body.code).toBe("access_revoked");
  });

  test("an add whose contributor is revoked between its reads and its commit is refused with 403 access_revoked and stores nothing", async () => {
    const id = await teamProcess();
    const held = app.faults.holdNext(isBatch);
    const adding = api.add("carol", id, { name: "Racing the revoke" });
    await held.reached;
    expect((await api.revoke("alice", id, users.carol.id)).status).toBe(204);
    held.release();
    const response = await adding;
    expect(response.status).toBe(403);
    expect(response.body.code).toBe("access_revoked");
    expect(await storedRecordings(id)).toEqual([]);
  });
});

describe(`limits: ${limits.perProcess} recordings per process, ${limits.perUser} per user in a process`, () => {
  let limited: TestApp;
  let api: ReturnType<typeof recordingsApi>;

  beforeAll(async () => {
    limited = await startTestApp({
      settings: {
        RECORDINGS_MAX_PER_PROCESS: String(limits.perProcess),
        RECORDINGS_MAX_PER_USER: String(limits.perUser),
      },
    });
    api = recordingsApi(limited);
  });
  afterAll(async () => {
    await limited.close();
  });

  /** A task mining process owned by alice, bob a co-owner, carol a contributor. */
  async function teamProcess(): Promise<string> {
    const id = await api.createProcess("alice", "taskMining");
    await api.share("alice", id, "coOwner", users.bob.id);
    await api.share("alice", id, "contributor", users.carol.id);
    return id;
  }

  /** The recordings stored for a process, read straight from the limited app's table. */
  const storedRecordings = (processId: string) => recordingsIn(limited, processId);

  /** Sends `count` adds at once; returns the statuses and codes. */
  async function storm(who: string, id: string, count: number) {
    const responses = await Promise.all(
      Array.from({ length: count }, (_, index) => api.add(who, id, { name: `${who} ${index}` })),
    );
    for (const response of responses) {
      if (response.status !== 201) {
        expect(response.status).toBe(409);
        expect(["too_many_recordings", "conflict"]).toContain(response.body.code);
      }
    }
    return responses;
  }

  /** Adds one by one until refused; returns how many were added and the refusal. */
  async function fill(who: string, id: string) {
    let added = 0;
    for (let index = 0; index < 20; index++) {
      const response = await api.add(who, id, { name: `${who} top-up ${index}` });
      if (response.status !== 201) return { added, refusal: response };
      added += 1;
    }
    throw new Error("never refused");
  }

  test("twelve adds at once by one contributor store at most the per-user limit, and topping up stops exactly at it", async () => {
    const id = await teamProcess();
    const responses = await storm("carol", id, 12);
    const atOnce = responses.filter((response) => response.status === 201).length;
    expect(atOnce).toBeLessThanOrEqual(limits.perUser);
    const { added, refusal } = await fill("carol", id);
    expect(atOnce + added).toBe(limits.perUser);
    expect(refusal.status).toBe(409);
    expect(refusal.body.code).toBe("too_many_recordings");
    expect(await storedRecordings(id)).toHaveLength(limits.perUser);
  });

  test("two people adding at once never take the process past its limit; a deletion makes room for one more", async () => {
    const id = await teamProcess();
    const [carols, bobs] = await Promise.all([storm("carol", id, 10), storm("bob", id, 10)]);
    const added = [...carols, ...bobs].filter((response) => response.status === 201).length;
    expect(added).toBeLessThanOrEqual(limits.perProcess);
    await fill("carol", id);
    await fill("bob", id);
    const stored = await storedRecordings(id);
    expect(stored).toHaveLength(limits.perProcess);
    for (const who of [users.carol.id, users.bob.id]) {
      expect(stored.filter((row) => row.addedBy === who).length).toBeLessThanOrEqual(limits.perUser);
    }
    const full = await api.add("alice", id);
    expect(full.status).toBe(409);
    expect(full.body.code).toBe("too_many_recordings");

    expect((await api.remove("alice", id, stored[0]!.id)).status).toBe(204);
    expect((await api.add("alice", id)).status).toBe(201);
    expect((await api.add("alice", id)).status).toBe(409);
  });
});

describe("a recording deleted meanwhile", () => {
  /** Deletes the recording straight from the table while the request's write is held. */
  async function deletedWhileHeld(id: string, recordingId: string, request: Promise<{ status: number }>) {
    const held = app.faults.holdNext(
      (candidate) =>
        isBatch(candidate) || (candidate.method !== "GET" && candidate.url.includes("recording")),
    );
    void request;
    await held.reached;
    await app.services.store.tables.processes.deleteEntity(id, recordingPrefix + recordingId);
    held.release();
  }

  test("a delete without If-Match answers 404 not_found, not 412", async () => {
    const id = await teamProcess();
    const recordingId = await api.added("carol", id);
    const removing = api.remove("carol", id, recordingId);
    await deletedWhileHeld(id, recordingId, removing);
    const response = await removing;
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("not_found");
  });

  test("a label edit without If-Match answers 404 not_found", async () => {
    const id = await teamProcess();
    const recordingId = await api.added("carol", id);
    const editing = api.update("carol", id, recordingId, { labels: ["late"] });
    await deletedWhileHeld(id, recordingId, editing);
    const response = await editing;
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("not_found");
    expect(await storedRecordings(id)).toEqual([]);
  });
});

describe("an add racing the deletion of its process", () => {
  test("an add that commits after the delete listed the partition takes itself back: 404, and nothing is left", async () => {
    const id = await teamProcess();
    const bodyHas = (request: PipelineRequest, text: string) =>
      isBatch(request) && typeof request.body === "string" && request.body.includes(text);
    // The add's commit (its first, so it creates the counters) waits...
    const addCommit = app.faults.holdNext((request) => bodyHas(request, "recordingCount"));
    const adding = api.add("carol", id, { name: "Racing the delete" });
    await addCommit.reached;
    // ...while the delete removes the process row and lists what is left, then waits before sweeping it.
    const sweep = app.faults.holdNext(isBatch);
    const deleting = api.deleteProcess("alice", id);
    await sweep.reached;
    addCommit.release();
    const added = await adding;
    sweep.release();
    expect((await deleting).status).toBe(204);
    expect(added.status).toBe(404);
    const left: string[] = [];
    for await (const entity of app.services.store.tables.processes.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${id}`, select: ["RowKey"] },
    })) {
      left.push(entity.rowKey ?? "");
    }
    expect(left).toEqual([]);
  });
});
