import { afterAll, beforeAll, expect, test } from "vitest";

import { shareProcess } from "../../functions/access.js";
import { RoleRowStore } from "../../shared/storage/roleRows.js";
import { createProcessAs, processPath, startTestApp, type TestApp, users } from "../support/app.js";

/**
 * Found by the strict storage proxy: one person named twice in a share, by id and by email, put
 * two writes of their role row into one transaction, which Table Storage refuses
 * (InvalidDuplicateRow) — a 500. Now it is one change, for the first; the later one answers
 * `duplicate_recipient` (issue 11's decision), so the share answers 207.
 */

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

test("a share naming one person by id and by email grants once, and the later occurrence fails as duplicate_recipient", async () => {
  const id = await createProcessAs(app, "alice", "taskMining");
  const shared = await app.call(shareProcess, {
    method: "POST",
    as: "alice",
    ...processPath(id, "/access"),
    body: {
      role: "contributor",
      recipients: [{ id: users.bob.id }, { email: users.bob.email }, { id: users.carol.id }],
      sendInvitation: true,
    },
  });
  expect(shared.status, JSON.stringify(shared.body)).toBe(207);
  expect(
    shared.body.value.map((result: { status: string; principalId: string }) => [
      result.status,
      result.principalId,
    ]),
  ).toEqual([
    ["granted", users.bob.id],
    ["failed", users.bob.id],
    ["granted", users.carol.id],
  ]);
  expect(shared.body.value[1].error.code).toBe("duplicate_recipient");
  const roles = await new RoleRowStore(app.services.store.tables).list(id);
  expect(roles.map((row) => row.principalId).sort()).toEqual(
    [users.alice.id, users.bob.id, users.carol.id].sort(),
  );
});
