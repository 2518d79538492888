import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, expect, test } from "vitest";

import { type AzuritePorts, freePort, isListening } from "../../local/azurite.js";
import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import { type E2eHost, startE2eHost } from "../support/e2e.js";

/**
 * Ctrl-C then `npm start` again: stop() ends the HTTP server, the triggers and Azurite, and a new
 * host on the same ports and data folder (as `npm start` uses 7071 and `.azurite/`) keeps
 * the processes, the roles and the dev signing key.
 */

const bob = readDevDirectory().users.find((user) => user.alias === "bob")!;
const location = mkdtempSync(join(tmpdir(), "e2e-azurite-"));
let running: E2eHost | undefined;

afterAll(async () => {
  await running?.stop();
  rmSync(location, { recursive: true, force: true });
});

test("stop() frees every port, and the next start on the same data folder keeps processes, roles and tokens", async () => {
  const ports: AzuritePorts = { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const port = await freePort();

  running = await startE2eHost({ azurite: { location, ports }, port });
  const first = running;
  expect(first.local.azurite).toEqual({ started: true, location });
  const aliceToken = await first.token("alice");
  const created = await first.call<{ id: string }>("/api/processes", {
    token: aliceToken,
    method: "POST",
    body: { kind: "taskMining", name: "Expense claims", description: "Kept across a restart" },
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const shared = await first.call(`/api/processes/${id}/access`, {
    token: aliceToken,
    method: "POST",
    body: { role: "contributor", recipients: [{ id: bob.id }], sendInvitation: false },
  });
  expect(shared.status).toBe(200);

  await first.stop();
  running = undefined;
  for (const stopped of [port, ports.blob, ports.queue, ports.table]) {
    expect(await isListening(stopped), `port ${stopped} after stop()`).toBe(false);
  }
  expect(existsSync(join(location, "dev-identity-keys.json"))).toBe(true);

  running = await startE2eHost({ azurite: { location, ports }, port });
  const second = running;
  // Started, not reused: the first Azurite really ended.
  expect(second.local.azurite).toEqual({ started: true, location });

  // A token minted before the restart still verifies: the signing key is kept in the data folder.
  const again = await second.call<{ name: string; description: string; myRole: string }>(
    `/api/processes/${id}`,
    {
      token: aliceToken,
    },
  );
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({
    name: "Expense claims",
    description: "Kept across a restart",
    myRole: "owner",
  });

  const access = await second.call<{
    value: { principalId: string; role: string; invitation: { status: string } }[];
  }>(`/api/processes/${id}/access`, { token: aliceToken });
  expect(access.body.value.find((entry) => entry.principalId === bob.id)).toMatchObject({
    role: "contributor",
    invitation: { status: "notRequested" },
  });
  const bobsList = await second.call<{ value: { id: string; myRole: string }[] }>("/api/processes", {
    as: "bob",
  });
  expect(bobsList.body.value).toContainEqual(expect.objectContaining({ id, myRole: "contributor" }));
});
