import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

import { QueueServiceClient } from "@azure/storage-queue";
import { afterAll, beforeAll, expect, test, vi } from "vitest";

import { freePort, type RunningAzurite, startAzurite } from "../../local/azurite.js";
import { readLocalSettings } from "../../local/host/settings.js";
import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import { type E2eHost, entryImports, repoRoot, startE2eHost } from "../support/e2e.js";

/**
 * The invitation sender's queue trigger and the sweeper's timer, run by the local host over the
 * app's real entry. The invitation queue's name is fixed, so this file has an Azurite of its own,
 * on a data folder; each host here reuses it, as `npm start` reuses a running Azurite, and keeps
 * the dev signing key beside its data. Every host uses one port, as the settings name it.
 */

const invitationSenderInApp = entryImports("invitations");
const bob = readDevDirectory().users.find((user) => user.alias === "bob")!;
const carol = readDevDirectory().users.find((user) => user.alias === "carol")!;
const hostJson = JSON.parse(readFileSync(join(repoRoot, "host.json"), "utf8")) as {
  extensions: { queues: { maxDequeueCount: number; visibilityTimeout: string } };
};
const maxDequeueCount = hostJson.extensions.queues.maxDequeueCount;
let location: string;
let azurite: RunningAzurite;
let queues: QueueServiceClient;
let port: number;
let fastRetryRoot: string;
let running: E2eHost | undefined;

beforeAll(async () => {
  location = mkdtempSync(join(tmpdir(), "e2e-azurite-"));
  azurite = await startAzurite({
    location,
    ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
  });
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  port = await freePort();
  // The repository's app folder with one change: a failed delivery is retried at once instead of after 30 s.
  fastRetryRoot = mkdtempSync(join(tmpdir(), "e2e-app-"));
  writeFileSync(
    join(fastRetryRoot, "host.json"),
    JSON.stringify({
      ...hostJson,
      extensions: {
        ...hostJson.extensions,
        queues: { ...hostJson.extensions.queues, visibilityTimeout: "00:00:00" },
      },
    }),
  );
  const settingsFile = readLocalSettings(repoRoot)?.file;
  if (settingsFile !== undefined) copyFileSync(settingsFile, join(fastRetryRoot, basename(settingsFile)));
});

afterAll(async () => {
  vi.useRealTimers();
  await running?.stop();
  await azurite.stop();
  rmSync(fastRetryRoot, { recursive: true, force: true });
  rmSync(location, { recursive: true, force: true });
});

async function start(appRoot = repoRoot): Promise<E2eHost> {
  running = await startE2eHost({ appRoot, port, azurite: { location, ports: azurite.ports } });
  expect(running.local.azurite.started, "the file's Azurite is reused").toBe(false);
  return running;
}

async function stop(host: E2eHost): Promise<void> {
  await host.stop();
  running = undefined;
}

async function shareWith(host: E2eHost, recipientId: string, name: string): Promise<string> {
  const created = await host.call<{ id: string }>("/api/processes", {
    as: "alice",
    method: "POST",
    body: { kind: "processMining", name },
  });
  expect(created.status).toBe(201);
  const shared = await host.call(`/api/processes/${created.body.id}/access`, {
    as: "alice",
    method: "POST",
    body: { role: "viewer", recipients: [{ id: recipientId }] },
  });
  expect(shared.status).toBe(200);
  return created.body.id;
}

async function invitationOf(
  host: E2eHost,
  processId: string,
  principalId: string,
  token?: string,
): Promise<{ status: string; sentAt?: string } | undefined> {
  const access = await host.call<{ value: { principalId: string; invitation: { status: string } }[] }>(
    `/api/processes/${processId}/access`,
    token === undefined ? { as: "alice" } : { token },
  );
  expect(access.status).toBe(200);
  return access.body.value.find((entry) => entry.principalId === principalId)?.invitation;
}

async function poisonMessages(): Promise<unknown[]> {
  const peeked = await queues.getQueueClient("invitations-poison").peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map(
    (message) => JSON.parse(Buffer.from(message.messageText, "base64").toString("utf8")) as unknown,
  );
}

test.runIf(invitationSenderInApp)(
  `an invitation whose mail is refused on every delivery is marked failed and its message lands in invitations-poison after ${maxDequeueCount} deliveries`,
  async () => {
    const host = await start(fastRetryRoot);
    try {
      // Throttled for an hour: longer than the sender waits out, so each delivery gives the message back.
      host.local.mailbox.throttleNextSends(100, 3600);
      const processId = await shareWith(host, bob.id, "Procure to pay");

      const poisoned = await host.eventually(
        "the invitation message in the poison queue",
        poisonMessages,
        (messages) => messages.some((message) => JSON.stringify(message).includes(processId)),
      );
      expect(poisoned).toContainEqual({ processId, invitationId: expect.any(String) as unknown });

      const deliveries = host.logs
        .filter((line) => line.includes("Executed 'sendInvitation' (Failed"))
        .map((line) => Number(/dequeueCount=(\d+)/.exec(line)?.[1]));
      expect(deliveries).toEqual(Array.from({ length: maxDequeueCount }, (_, index) => index + 1));
      expect(await invitationOf(host, processId, bob.id)).toMatchObject({ status: "failed" });
      expect(await host.mailbox()).toEqual([]);
    } finally {
      await stop(host);
    }
  },
);

test.runIf(invitationSenderInApp)(
  "the sweeper's timer fires on its schedule and hands a lost invitation over again, which is then delivered",
  async () => {
    // First run: the delivery fails (mail throttled), leaving the message invisible for host.json's 30 s.
    const first = await start();
    let processId: string;
    // Minted on the real clock: the API checks it on the real clock too.
    let aliceToken: string;
    try {
      aliceToken = await first.token("alice");
      first.local.mailbox.throttleNextSends(100, 3600);
      processId = await shareWith(first, carol.id, "Hire to retire");
      await first.eventually(
        "a failed delivery",
        () => first.logs.filter((line) => line.includes("Executed 'sendInvitation' (Failed")),
        (lines) => lines.length > 0,
      );
      expect(await invitationOf(first, processId, carol.id)).toMatchObject({ status: "pending" });
    } finally {
      await stop(first);
    }
    // The message is lost (as to a crash or an outage): the invitation stays unsettled, and nothing queued will send it.
    await queues.getQueueClient("invitations").clearMessages();
    expect(await poisonMessages()).not.toContainEqual(expect.objectContaining({ processId }));

    // The sweeper hands over what is unsettled past its grace period. The clock moves past that
    // period and to 4 s before a minute, so the every-minute schedule is due soon after the start.
    const minute = 60_000;
    const graceMs = 5 * minute;
    const now = Date.now() + graceMs + 4_000;
    vi.useFakeTimers({
      toFake: ["Date"],
      shouldAdvanceTime: true,
      now: Math.ceil(now / minute) * minute - 4_000,
    });
    const second = await start();
    try {
      expect(second.local.host.timers).toContainEqual(
        expect.objectContaining({ functionName: "sweepInvitations" }),
      );
      const mail = await second.eventually(
        "the invitation delivered after the sweep",
        () => second.mailbox(),
        (messages) => messages.length > 0,
      );
      expect(mail).toHaveLength(1);
      expect(JSON.stringify(mail[0]?.to)).toContain(carol.email);
      expect(mail[0]?.plainText).toContain(`/processes/${processId}/analytics`);
      expect(second.logs.some((line) => line.includes("Executed 'sweepInvitations' (Succeeded"))).toBe(true);
      expect(await invitationOf(second, processId, carol.id, aliceToken)).toMatchObject({ status: "sent" });
    } finally {
      vi.useRealTimers();
      await stop(second);
    }
  },
);
