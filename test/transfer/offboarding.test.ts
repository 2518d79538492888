import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, expect, test } from "vitest";

import { createProcessAs, listedEntry, startTestApp, type TestApp, users } from "../support/app.js";
import { startTestIdentity, type TestIdentity } from "../support/identity.js";
import { disagreements, transferCalls } from "./support.js";

/**
 * Offboarding (issue 14): alice leaves the organization. The identity provider still signs her
 * tokens (so she could create processes before), but the directory the app reads has her account
 * disabled, as Entra has once she is gone. An administrator's reassignment then removes her
 * instead of keeping her as co-owner.
 */

let identity: TestIdentity;
let app: TestApp;
let calls: ReturnType<typeof transferCalls>;
let processId: string;

beforeAll(async () => {
  identity = await startTestIdentity();
  const enabled = await startTestApp({ identity });
  processId = await createProcessAs(enabled, "alice", "taskMining");
  await transferCalls(enabled).share("alice", processId, "coOwner", "bob");
  const settings = { STORAGE_TABLE_PREFIX: enabled.config.storage.tablePrefix };
  await enabled.close();

  const directory = JSON.parse(
    readFileSync(new URL("../../local/dev-directory.json", import.meta.url), "utf8"),
  ) as { users: { alias: string; accountEnabled: boolean }[] };
  for (const user of directory.users) if (user.alias === "alice") user.accountEnabled = false;
  const file = join(mkdtempSync(join(tmpdir(), "offboarding-")), "directory.json");
  writeFileSync(file, JSON.stringify(directory));
  app = await startTestApp({ identity, settings: { ...settings, DEV_DIRECTORY_FILE: file } });
  calls = transferCalls(app);
});
afterAll(async () => {
  await app.close();
  await identity.close();
});

test("an administrator gives a departed owner's process to a co-owner; the departed owner is removed", async () => {
  const reassigned = await calls.reassign("dave", processId, users.bob.id);
  expect(reassigned.status).toBe(200);
  expect(reassigned.body).toMatchObject({
    ownerId: users.bob.id,
    previousOwnerId: users.alice.id,
    previousOwnerRole: null,
  });
  const access = await calls.access("bob", processId);
  expect(access.body.value.map((entry: any) => [entry.principalId, entry.role])).toEqual([
    [users.bob.id, "owner"],
  ]);
  expect(await listedEntry(app, "bob", processId)).toMatchObject({ myRole: "owner" });
  expect(await disagreements(app, processId)).toEqual([]);
});
