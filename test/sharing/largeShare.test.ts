import { afterAll, beforeAll, expect, test } from "vitest";

import { listAccess, shareProcess } from "../../functions/access.js";
import { createProcess, getProcess } from "../../functions/processes.js";
import { DevDirectory, readDevDirectory } from "../../shared/directory/devDirectory.js";
import { processPath, startTestApp, type TestApp, users } from "../support/app.js";

/** The dev users and 40 more, so that one share needs more than one transaction. */
const bundled = readDevDirectory();
const extra = Array.from({ length: 40 }, (_, index) => ({
  alias: `user${index}`,
  id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
  displayName: `User ${index}`,
  email: `user${index}@contoso.example`,
  userType: "Member" as const,
  accountEnabled: true,
  appRoles: [],
}));
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    services: { directory: new DevDirectory({ ...bundled, users: [...bundled.users, ...extra] }) },
  });
});
afterAll(async () => {
  await app.close();
});

test("a share of 40 commits in groups, each read afresh: a change landing between them is kept", async () => {
  const created = await app.call(createProcess, {
    method: "POST",
    path: "/api/processes",
    as: "alice",
    body: { kind: "processMining", name: "Big share" },
  });
  const id: string = created.body.id;
  let batches = 0;
  const held = app.faults.holdNext(
    (request) =>
      request.method === "POST" && new URL(request.url).pathname.endsWith("/$batch") && ++batches === 2,
  );
  const big = app.call(shareProcess, {
    method: "POST",
    as: "alice",
    ...processPath(id, "/access"),
    body: { role: "viewer", recipients: extra.map((user) => ({ id: user.id })) },
  });
  await held.reached;
  // Between the first group's commit and the second's: another change to the same process.
  const carol = await app.call(shareProcess, {
    method: "POST",
    as: "alice",
    ...processPath(id, "/access"),
    body: { role: "coOwner", recipients: [{ id: users.carol.id }] },
  });
  expect(carol.status).toBe(200);
  held.release();

  const result = await big;
  expect(result.status).toBe(200);
  expect(result.body.value.map((entry: any) => entry.status)).toEqual(extra.map(() => "granted"));
  const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
  const roles = new Map(access.body.value.map((entry: any) => [entry.principalId, entry.role]));
  expect(roles.get(users.carol.id)).toBe("coOwner");
  expect(roles.size).toBe(1 + 1 + extra.length);
  expect((await app.call(getProcess, { as: "carol", ...processPath(id) })).body.myRole).toBe("coOwner");
});
