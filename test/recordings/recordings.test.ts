import { randomUUID } from "node:crypto";

import { odata } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { ConcurrencyError } from "../../shared/errors.js";
import { RecordingStore } from "../../shared/recordings/recordingStore.js";
import { startTestApp, type TestApp, users } from "../support/app.js";
import { recordingsApi } from "./support.js";

let app: TestApp;
let api: ReturnType<typeof recordingsApi>;

beforeAll(async () => {
  app = await startTestApp();
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

/** Every row of the process's partition, read straight from the table. */
async function partitionRows(processId: string): Promise<string[]> {
  const rows: string[] = [];
  for await (const entity of app.services.store.tables.processes.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${processId}`, select: ["RowKey"] },
  })) {
    rows.push(entity.rowKey ?? "");
  }
  return rows;
}

/** Follows the `nextLink`s from the first page, returning every page's ids. */
async function allPages(processId: string, top: number): Promise<string[][]> {
  const pages: string[][] = [];
  let query = `?top=${top}`;
  for (;;) {
    const response = await api.list("carol", processId, query);
    expect(response.status).toBe(200);
    pages.push(response.body.value.map((recording: { id: string }) => recording.id));
    if (response.body.nextLink === undefined) return pages;
    const link = new URL(response.body.nextLink, "http://localhost");
    expect(link.pathname).toBe(`/api/processes/${processId}/recordings`);
    query = link.search;
  }
}

describe("adding and reading", () => {
  test("a contributor adds a recording: 201 with Location and ETag, remembering who added it and when", async () => {
    const id = await teamProcess();
    const before = Date.now();
    const response = await api.add("carol", id, {
      name: "  Month-end close  ",
      labels: ["Finance", " approvals "],
      durationSeconds: 1800,
      applications: ["Excel", "SAP GUI"],
    });
    expect(response.status).toBe(201);
    const recording = response.body;
    expect(recording).toMatchObject({
      processId: id,
      name: "Month-end close",
      labels: ["Finance", "approvals"],
      durationSeconds: 1800,
      applications: ["Excel", "SAP GUI"],
      addedBy: users.carol.id,
      etag: '"v1"',
    });
    expect(recording.addedAt).toBe(recording.updatedAt);
    expect(Date.parse(recording.addedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(response.headers.get("location")).toBe(`/api/processes/${id}/recordings/${recording.id}`);
    expect(response.headers.get("etag")).toBe('"v1"');

    const read = await api.get("bob", id, recording.id);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(recording);
    expect(read.headers.get("etag")).toBe('"v1"');
  });

  test("labels and applications default to empty lists and the duration to absent", async () => {
    const id = await teamProcess();
    const response = await api.add("alice", id, { name: "Quick capture" });
    expect(response.status).toBe(201);
    expect(response.body.labels).toEqual([]);
    expect(response.body.applications).toEqual([]);
    expect(response.body).not.toHaveProperty("durationSeconds");
  });

  test("a recording of another process is not found through this one", async () => {
    const first = await teamProcess();
    const second = await teamProcess();
    const elsewhere = await api.added("carol", second);
    expect((await api.get("alice", first, elsewhere)).body.code).toBe("not_found");
    expect((await api.update("alice", first, elsewhere, { labels: [] })).status).toBe(404);
    expect((await api.remove("alice", first, elsewhere)).status).toBe(404);
    expect((await api.get("alice", second, elsewhere)).status).toBe(200);
    const listed = await api.list("alice", first);
    expect(listed.body.value).toEqual([]);
  });

  test("a recording that does not exist answers 404 not_found to get, label and delete", async () => {
    const id = await teamProcess();
    const missing = randomUUID();
    for (const response of [
      await api.get("alice", id, missing),
      await api.update("alice", id, missing, { name: "Renamed" }),
      await api.remove("alice", id, missing),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
  });
});

describe("paging", () => {
  test("seven recordings come in pages of three, three and one, each exactly once, with nextLink until the last", async () => {
    const id = await teamProcess();
    const added = new Set<string>();
    for (let index = 0; index < 7; index++)
      added.add(await api.added("carol", id, { name: `Take ${index}` }));
    const pages = await allPages(id, 3);
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(added);
  });

  test("a recording added between pages is listed at most once, and never after the first page when its id sorts before that page's last", async () => {
    const id = await teamProcess();
    const originals: string[] = [];
    for (let index = 0; index < 4; index++)
      originals.push(await api.added("carol", id, { name: `Take ${index}` }));
    const first = await api.list("carol", id, "?top=2");
    const firstIds: string[] = first.body.value.map((recording: { id: string }) => recording.id);
    const late = await api.added("bob", id, { name: "Late" });

    const rest: string[] = [];
    let link: string | undefined = first.body.nextLink;
    while (link !== undefined) {
      const page = await api.list("carol", id, new URL(link, "http://localhost").search);
      rest.push(...page.body.value.map((recording: { id: string }) => recording.id));
      link = page.body.nextLink;
    }
    const seen = [...firstIds, ...rest];
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(originals));
    // The next page starts where the storage service's own token says: on Table Storage at the row
    // that followed the page when it was read, so a recording sorting after the page may or may not
    // be listed; one sorting before it never is (its range was done).
    if (late < firstIds.at(-1)!) expect(rest).not.toContain(late);
  });

  test("a continuation token this service did not issue is refused as such; top over 100 and unknown parameters as invalid", async () => {
    const id = await teamProcess();
    const forged = Buffer.from(JSON.stringify({ after: "recording|x" })).toString("base64url");
    for (const query of [`?continuationToken=${forged}`, "?continuationToken=not-ours"]) {
      const response = await api.list("alice", id, query);
      expect([response.status, response.body.code], query).toEqual([400, "invalid_continuation_token"]);
    }
    for (const query of ["?top=101", "?top=0", "?order=name"]) {
      const response = await api.list("alice", id, query);
      expect([response.status, response.body.code], query).toEqual([400, "validation_failed"]);
    }
  });
});

describe("labelling with ETags", () => {
  test("a label edit with the current ETag replaces the labels, keeps the name and who added it, and moves the ETag", async () => {
    const id = await teamProcess();
    const added = (await api.add("carol", id, { name: "Invoices", labels: ["draft"] })).body;
    const response = await api.update("carol", id, added.id, { labels: ["reviewed", "finance"] }, '"v1"');
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"v2"');
    expect(response.body).toMatchObject({
      name: "Invoices",
      labels: ["reviewed", "finance"],
      addedBy: users.carol.id,
      addedAt: added.addedAt,
      etag: '"v2"',
    });
    expect(response.body.updatedAt >= added.updatedAt).toBe(true);
    const renamed = await api.update("alice", id, added.id, { name: "Invoices, reviewed" }, '"v2"');
    expect(renamed.body).toMatchObject({ name: "Invoices, reviewed", labels: ["reviewed", "finance"] });
    expect(renamed.body.addedBy).toBe(users.carol.id);
  });

  test("a label edit with a stale ETag is refused with 412 precondition_failed and changes nothing", async () => {
    const id = await teamProcess();
    const recording = await api.added("carol", id, { name: "Invoices", labels: ["draft"] });
    expect((await api.update("carol", id, recording, { labels: ["one"] }, '"v1"')).status).toBe(200);
    const stale = await api.update("bob", id, recording, { labels: ["two"] }, '"v1"');
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe("precondition_failed");
    expect((await api.get("alice", id, recording)).body.labels).toEqual(["one"]);
  });

  test("two label edits sent at once with the same ETag: exactly one wins, the other gets 412", async () => {
    const id = await teamProcess();
    for (let round = 0; round < 5; round++) {
      const recording = await api.added("carol", id, { name: `Race ${round}` });
      const [first, second] = await Promise.all([
        api.update("carol", id, recording, { labels: ["carol's"] }, '"v1"'),
        api.update("bob", id, recording, { labels: ["bob's"] }, '"v1"'),
      ]);
      expect([first.status, second.status].sort()).toEqual([200, 412]);
      const winner = first.status === 200 ? first : second;
      const stored = await api.get("alice", id, recording);
      expect(stored.body.labels).toEqual(winner.body.labels);
      expect(stored.body.etag).toBe('"v2"');
    }
  });

  test("eight label edits at once without If-Match all land, one after another: the version counts each", async () => {
    const id = await teamProcess();
    const recording = await api.added("carol", id);
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        api.update(index % 2 === 0 ? "alice" : "carol", id, recording, { labels: [`edit ${index}`] }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
    const etags = responses.map((response) => response.body.etag);
    expect(new Set(etags).size).toBe(8);
    const stored = await api.get("alice", id, recording);
    expect(stored.body.etag).toBe('"v9"');
  });

  test("a delete with a stale ETag is refused with 412; with the current one it succeeds", async () => {
    const id = await teamProcess();
    const recording = await api.added("carol", id);
    await api.update("carol", id, recording, { labels: ["moved on"] });
    const stale = await api.remove("carol", id, recording, '"v1"');
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe("precondition_failed");
    expect((await api.remove("carol", id, recording, '"v2"')).status).toBe(204);
    expect((await api.get("alice", id, recording)).status).toBe(404);
  });
});

describe("a contributor whose role was revoked", () => {
  test("can no longer list, add, read, label or delete (403 access_revoked); their recordings stay and owners manage them", async () => {
    const id = await teamProcess();
    const kept = await api.added("carol", id, { name: "Carol's first", labels: ["mine"] });
    const other = await api.added("carol", id, { name: "Carol's second" });
    expect((await api.revoke("alice", id, users.carol.id)).status).toBe(204);

    for (const response of [
      await api.list("carol", id),
      await api.add("carol", id, { name: "After revoke" }),
      await api.get("carol", id, kept),
      await api.update("carol", id, kept, { labels: ["still mine?"] }),
      await api.remove("carol", id, kept),
    ]) {
      expect(response.status).toBe(403);
      expect(response.body.code).toBe("access_revoked");
    }

    const listed = await api.list("alice", id);
    const byId = new Map(listed.body.value.map((recording: any) => [recording.id, recording]));
    expect(byId.get(kept)).toMatchObject({ addedBy: users.carol.id, labels: ["mine"] });
    expect(byId.get(other)).toMatchObject({ addedBy: users.carol.id });
    expect((await api.update("bob", id, kept, { labels: ["adopted"] })).status).toBe(200);
    expect((await api.remove("alice", id, other)).status).toBe(204);
  });

  test("who leaves a process on their own is refused the same way, and their recordings stay", async () => {
    const id = await teamProcess();
    const recording = await api.added("carol", id);
    expect((await api.revoke("carol", id, users.carol.id)).status).toBe(204);
    expect((await api.add("carol", id)).body.code).toBe("access_revoked");
    expect((await api.get("alice", id, recording)).body.addedBy).toBe(users.carol.id);
  });

  test("granted a role again, they manage their own recordings again", async () => {
    const id = await teamProcess();
    const recording = await api.added("carol", id);
    await api.revoke("alice", id, users.carol.id);
    await api.share("bob", id, "contributor", users.carol.id);
    expect((await api.update("carol", id, recording, { labels: ["back"] })).status).toBe(200);
  });
});

describe("process mining processes have no recordings", () => {
  test("their owner, a viewer and an administrator get 409 recordings_not_supported on every route", async () => {
    const id = await api.createProcess("alice", "processMining", "Order to cash");
    await api.share("alice", id, "viewer", users.bob.id);
    const someRecording = randomUUID();
    for (const who of ["alice", "bob", "dave"]) {
      for (const response of [
        await api.list(who, id),
        await api.add(who, id, { name: "Screen capture" }),
        await api.get(who, id, someRecording),
        await api.update(who, id, someRecording, { labels: ["x"] }),
        await api.remove(who, id, someRecording),
      ]) {
        expect(response.status, who).toBe(409);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(response.body.code).toBe("recordings_not_supported");
      }
    }
    expect(await partitionRows(id)).not.toContainEqual(expect.stringMatching(/^recording\|/));
  });

  test("who may not know the process still gets 404, and a share-only caller 403, as everywhere else", async () => {
    const id = await api.createProcess("alice", "processMining", "Procure to pay");
    expect((await api.list("carol", id)).status).toBe(404);
    const shareOnly = await api.add("frank", id, { name: "Screen capture" });
    expect(shareOnly.status).toBe(403);
    expect(shareOnly.body.code).toBe("forbidden");
  });
});

describe("deleting the process", () => {
  test("deletes its recordings with it: nothing of them is left in storage", async () => {
    const id = await teamProcess();
    for (const who of ["alice", "bob", "carol"]) await api.added(who, id);
    expect((await partitionRows(id)).filter((row) => row.startsWith("recording|"))).toHaveLength(3);

    expect((await api.deleteProcess("bob", id)).status).toBe(204);
    expect(await partitionRows(id)).toEqual([]);
    expect((await api.list("alice", id)).status).toBe(404);
  });

  test("a recording written after the process is gone is refused and leaves nothing behind", async () => {
    const id = await teamProcess();
    // What a slow add holds once its reads are done, before the process is deleted.
    const store = new RecordingStore(app.services.store.tables.processes);
    const guard = await store.readGuard(id, users.carol.id);
    expect((await api.deleteProcess("alice", id)).status).toBe(204);
    const at = new Date().toISOString();
    const written = store.add(
      {
        id: randomUUID(),
        processId: id,
        name: "Too late",
        labels: [],
        applications: [],
        addedBy: users.carol.id,
        addedAt: at,
        updatedAt: at,
      },
      guard,
      { total: 1, mine: 1 },
    );
    await expect(written).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await partitionRows(id)).toEqual([]);
  });

  test("adding a recording leaves the process itself as it was, its row's ETag included", async () => {
    const id = await teamProcess();
    const before = await app.services.store.getProcess(id);
    await api.added("carol", id);
    const after = await app.services.store.getProcess(id);
    expect(after).toMatchObject({
      name: before!.name,
      description: before!.description,
      members: before!.members,
      etag: before!.etag,
      updatedAt: before!.updatedAt,
      // Every role change is conditional on this ETag: a recording that moved it could starve a revoke.
      rowEtag: before!.rowEtag,
    });
  });
});

describe("storage round trips", () => {
  const point = (count: number) => Array.from({ length: count }, () => "GET point");
  /** The partition keys a request's URL names, so that a test sees it stayed in one process. */
  const partitionsNamed = () =>
    app.roundTrips.requests.map(({ url }) => {
      const text = decodeURIComponent(new URL(url).pathname + new URL(url).search);
      return /PartitionKey(?:=| eq )'([^']*)'/.exec(text)?.[1];
    });

  test("a page of recordings is one point read of the process and one query of its recordings, however many exist", async () => {
    const id = await teamProcess();
    for (let index = 0; index < 12; index++) await api.added("carol", id, { name: `Take ${index}` });
    const elsewhere = await teamProcess();
    await api.added("carol", elsewhere);

    app.roundTrips.reset();
    const response = await api.list("carol", id, "?top=5");
    expect(response.body.value).toHaveLength(5);
    expect(app.roundTrips.kinds()).toEqual(["GET point", "GET query"]);
    expect(partitionsNamed()).toEqual([id, id]);
    const query = decodeURIComponent(app.roundTrips.requests[1]!.url);
    expect(query).toContain("$top=5");
    expect(query).toContain("RowKey gt 'recording|'");
  });

  test("add: the process, the guard rows read together, one transaction and the process again; get two point reads; label and delete the process, the guard rows and one transaction", async () => {
    const id = await teamProcess();
    app.roundTrips.reset();
    await api.added("carol", id);
    // The first add counts the recordings there are, once, to start the counters.
    expect(app.roundTrips.kinds()).toEqual([...point(4), "GET query", "POST batch", "GET point"]);

    app.roundTrips.reset();
    const recording = await api.added("carol", id);
    // The process; the role row and both counters, sent together; the commit; the process again.
    expect(app.roundTrips.kinds()).toEqual([...point(4), "POST batch", "GET point"]);

    app.roundTrips.reset();
    await api.get("carol", id, recording);
    expect(app.roundTrips.kinds()).toEqual(["GET point", "GET point"]);

    app.roundTrips.reset();
    expect((await api.update("carol", id, recording, { labels: ["a"] }, '"v1"')).status).toBe(200);
    // The process; then the recording, the role row and both counters, sent together.
    expect(app.roundTrips.kinds()).toEqual([...point(5), "POST batch"]);

    app.roundTrips.reset();
    expect((await api.remove("carol", id, recording)).status).toBe(204);
    expect(app.roundTrips.kinds()).toEqual([...point(5), "POST batch"]);
    // A transaction is one partition's by definition; its URL names none.
    expect(new Set(partitionsNamed().filter((key) => key !== undefined))).toEqual(new Set([id]));
  });

  test("bad input and a process mining refusal cost no recording read at all", async () => {
    const id = await api.createProcess("alice", "processMining");
    app.roundTrips.reset();
    await api.add("alice", id, { name: "" });
    expect(app.roundTrips.count).toBe(0);
    await api.list("alice", id);
    expect(app.roundTrips.kinds()).toEqual(["GET point"]);
  });
});
