import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { startTestApp, type TestApp, users } from "../support/app.js";
import { recordingsApi, type Who } from "./support.js";

/**
 * Who may do what to whose recording on a task mining process, written out by hand from SPEC
 * section 1 (and the task-mining seed) rather than derived from the code's permission table.
 *
 * The process: alice owns it, bob is a co-owner, carol and erin (a guest) are contributors.
 * dave holds the administrator app role and frank the share privilege, neither with a role
 * here; the stranger is a user with no role and no app role. The four right-hand columns say
 * whether the caller may label (PATCH) and delete that person's recording.
 */
const matrix = `
caller        | list      | add       | get       | alice's   | bob's     | carol's   | erin's
owner         | ok        | ok        | ok        | ok        | ok        | ok        | ok
coOwner       | ok        | ok        | ok        | ok        | ok        | ok        | ok
contributor   | ok        | ok        | ok        | forbidden | forbidden | ok        | forbidden
admin         | forbidden | forbidden | forbidden | forbidden | forbidden | forbidden | forbidden
sharePrivilege| forbidden | forbidden | forbidden | forbidden | forbidden | forbidden | forbidden
stranger      | not_found | not_found | not_found | not_found | not_found | not_found | not_found
`;

type Outcome = "ok" | "forbidden" | "not_found";
type Author = "alice" | "bob" | "carol" | "erin";

const [header, ...rows] = matrix
  .trim()
  .split("\n")
  .map((line) => line.split("|").map((cell) => cell.trim()));
const authors = header!.slice(4).map((column) => column.replace("'s", "") as Author);
const expectations = rows.map(([callerName, list, add, get, ...recordings]) => ({
  caller: callerName!,
  list: list as Outcome,
  add: add as Outcome,
  get: get as Outcome,
  change: Object.fromEntries(authors.map((author, index) => [author, recordings[index] as Outcome])),
}));

const refusal = {
  forbidden: { status: 403, code: "forbidden" },
  not_found: { status: 404, code: "not_found" },
};

let app: TestApp;
let api: ReturnType<typeof recordingsApi>;
let processId: string;
const callers: Record<string, Who> = {};

beforeAll(async () => {
  app = await startTestApp();
  api = recordingsApi(app);
  processId = await api.createProcess("alice", "taskMining");
  await api.share("alice", processId, "coOwner", users.bob.id);
  await api.share("alice", processId, "contributor", users.carol.id);
  await api.share("alice", processId, "contributor", users.erin.id);
  Object.assign(callers, {
    owner: "alice",
    coOwner: "bob",
    contributor: "carol",
    admin: "dave",
    sharePrivilege: "frank",
    stranger: { token: await app.identity.token("frank", { roles: [] }) },
  });
});
afterAll(async () => {
  await app.close();
});

function expectRefused(response: { status: number; body: any }, outcome: Exclude<Outcome, "ok">): void {
  expect(response.status).toBe(refusal[outcome].status);
  expect(response.body.code).toBe(refusal[outcome].code);
}

test("the matrix names every caller once and every author's recording", () => {
  expect(expectations.map((row) => row.caller)).toEqual([
    "owner",
    "coOwner",
    "contributor",
    "admin",
    "sharePrivilege",
    "stranger",
  ]);
  expect(authors).toEqual(["alice", "bob", "carol", "erin"]);
});

describe.each(expectations)("$caller", (row) => {
  const who = (): Who => callers[row.caller]!;

  test(`list: ${row.list}`, async () => {
    const mine = await api.added("alice", processId, { name: `Listed for ${row.caller}` });
    const response = await api.list(who(), processId, "?top=100");
    if (row.list === "ok") {
      expect(response.status).toBe(200);
      expect(response.body.value.map((recording: { id: string }) => recording.id)).toContain(mine);
    } else {
      expectRefused(response, row.list);
    }
  });

  test(`add: ${row.add}`, async () => {
    const response = await api.add(who(), processId, { name: `Added by ${row.caller}` });
    if (row.add === "ok") {
      expect(response.status).toBe(201);
      expect(response.body.addedBy).toBe((users as Record<string, { id: string }>)[who() as string]!.id);
    } else {
      expectRefused(response, row.add);
    }
  });

  test(`get: ${row.get}`, async () => {
    const id = await api.added("bob", processId);
    const response = await api.get(who(), processId, id);
    if (row.get === "ok") expect(response.status).toBe(200);
    else expectRefused(response, row.get);
  });

  describe.each(authors)("on %s's recording", (author) => {
    const outcome = row.change[author]!;

    test(`label: ${outcome}`, async () => {
      const id = await api.added(author, processId, { name: "Before", labels: ["original"] });
      const response = await api.update(who(), processId, id, { labels: ["relabelled"] });
      const after = await api.get("alice", processId, id);
      if (outcome === "ok") {
        expect(response.status).toBe(200);
        expect(after.body.labels).toEqual(["relabelled"]);
      } else {
        expectRefused(response, outcome);
        expect(after.body.labels).toEqual(["original"]);
      }
    });

    test(`delete: ${outcome}`, async () => {
      const id = await api.added(author, processId);
      const response = await api.remove(who(), processId, id);
      const after = await api.get("alice", processId, id);
      if (outcome === "ok") {
        expect(response.status).toBe(204);
        expect(after.status).toBe(404);
      } else {
        expectRefused(response, outcome);
        expect(after.status).toBe(200);
      }
    });
  });
});
