import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { listAccess, shareProcess } from "../../functions/access.js";
import { getProcess } from "../../functions/processes.js";
import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import { createGraphDirectory } from "../../shared/directory/graphDirectory.js";
import { createProcessAs, processPath, startTestApp, type TestApp, users } from "../support/app.js";
import { startTestGraph, type TestGraph } from "../support/graph.js";

/**
 * An administrator who holds the admin app role through a group assignment (hank, a member of
 * "Process Administrators") is an administrator everywhere a directly assigned one is: hidden
 * from process mining access lists, through the dev directory and through Graph alike.
 */

const hank = readDevDirectory().users.find((user) => user.alias === "hank")!;

async function hiddenFromAccessList(app: TestApp): Promise<void> {
  const id = await createProcessAs(app, "alice", "processMining");
  const shared = await app.call(shareProcess, {
    method: "POST",
    as: "alice",
    ...processPath(id, "/access"),
    body: { role: "viewer", recipients: [{ id: hank.id }, { id: users.bob.id }], sendInvitation: false },
  });
  expect(shared.status).toBe(200);
  const access = await app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
  expect(access.status).toBe(200);
  expect(access.body.value.map((entry: { principalId: string }) => entry.principalId)).toEqual([
    users.alice.id,
    users.bob.id,
  ]);
  // Their token carries the role as Entra's would, so they have every action as an administrator.
  const opened = await app.call(getProcess, { as: "hank", ...processPath(id) });
  expect(opened.body.actions).toContain("editDataflow");
}

describe("an administrator through a group assignment", () => {
  test("is hidden from a process mining access list (dev directory)", async () => {
    const app = await startTestApp();
    try {
      await hiddenFromAccessList(app);
    } finally {
      await app.close();
    }
  });

  describe("over Microsoft Graph", () => {
    let testGraph: TestGraph;
    let app: TestApp;
    beforeAll(async () => {
      testGraph = await startTestGraph();
      app = await startTestApp({ services: { directory: createGraphDirectory(testGraph.config) } });
    });
    afterAll(async () => {
      await app.close();
      await testGraph.close();
    });

    test("is hidden from a process mining access list (Graph: appRoleAssignedTo, then the group's members)", async () => {
      await hiddenFromAccessList(app);
    });
  });
});
