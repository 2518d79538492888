/**
 * Invitation pipeline benchmark: share (HTTP handler) → Azurite queue → sender (queue handler) →
 * the real EmailClient → the dev mailbox, all on loopback, handlers called directly (the local
 * host's queue runner is replaced by a small one with the host.json concurrency: batchSize 8 +
 * newBatchThreshold 4, polling every 100 ms).
 *
 *   npx esbuild bench/invitations.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=dist/bench/invitations.mjs && node dist/bench/invitations.mjs
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import azureFunctions from "@azure/functions";

import { shareProcess } from "../functions/access.js";
import { sendInvitation } from "../functions/invitations.js";
import { createProcess } from "../functions/processes.js";
import { startAzurite } from "../local/azurite.js";
import { createServices, useServices } from "../shared/composition.js";
import { loadConfig } from "../shared/config.js";
import { readDevDirectory } from "../shared/directory/devDirectory.js";
import { invitationQueueName, openQueueClient } from "../shared/storage/invitationQueue.js";
import { startTestIdentity } from "../test/support/identity.js";
import { startTestMailbox } from "../test/support/mailbox.js";

const { HttpRequest, InvocationContext } = azureFunctions;
const quiet = (): void => undefined;

const azurite = await startAzurite();
const mailbox = await startTestMailbox();
const identity = await startTestIdentity();
const config = loadConfig({
  ...identity.authSettings,
  Storage: azurite.connectionString,
  APP_BASE_URL: "http://localhost:3000",
  EMAIL_CONNECTION_STRING: mailbox.connectionString,
  EMAIL_SENDER_ADDRESS: "DoNotReply@contoso.example",
  DIRECTORY_MODE: "dev",
  // The bench measures the sender: alice causes 215 mails here, over the default hourly quota.
  INVITATION_SHARER_HOURLY_QUOTA: "500",
});
const services = createServices(config, { mailTuning: { pollIntervalMs: 10 } });
useServices(services);
await services.ready();
const queue = await openQueueClient(config.storage, invitationQueueName);
await queue.createIfNotExists();
const token = await identity.token("alice");
const users = readDevDirectory().users;
const recipients = users.filter((user) => ["bob", "carol", "dave", "erin", "frank"].includes(user.alias));

function context(dequeueCount = 1): InstanceType<typeof InvocationContext> {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: "bench",
    triggerMetadata: { dequeueCount },
    logHandler: quiet,
  });
}

async function call(handler: typeof createProcess, method: string, path: string, body: unknown, params = {}) {
  const response = await handler(
    new HttpRequest({
      method,
      url: `http://localhost:7071${path}`,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      params,
      body: { string: JSON.stringify(body) },
    }),
    context(),
  );
  return response;
}

async function shareWithEveryone(): Promise<void> {
  const created = await call(createProcess, "POST", "/api/processes", { kind: "taskMining", name: "Bench" });
  const id = (created.jsonBody as { id: string }).id;
  const shared = await call(
    shareProcess,
    "POST",
    `/api/processes/${id}/access`,
    { role: "contributor", recipients: recipients.map((user) => ({ id: user.id })) },
    { id },
  );
  if (shared.status !== 200) throw new Error(`share answered ${shared.status}`);
}

/** A queue runner with the host's concurrency: up to 12 messages in flight. */
function startRunner(): { stop: () => Promise<void> } {
  const state = { stopped: false };
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (!state.stopped) {
      if (inFlight.size > 4) {
        await Promise.race(inFlight);
        continue;
      }
      const { receivedMessageItems } = await queue.receiveMessages({
        numberOfMessages: 8,
        visibilityTimeout: 60,
      });
      if (receivedMessageItems.length === 0) await sleep(100);
      for (const item of receivedMessageItems) {
        const message = JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")) as unknown;
        const task = sendInvitation(message, context(item.dequeueCount))
          .then(() => queue.deleteMessage(item.messageId, item.popReceipt))
          .then(quiet, quiet)
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
  })();
  return {
    stop: async () => {
      state.stopped = true;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

async function waitForMail(count: number): Promise<void> {
  while (mailbox.mailbox.list().length < count) await sleep(5);
}

const runner = startRunner();
try {
  // Warm-up: JIT, connections, tables.
  await shareWithEveryone();
  await waitForMail(recipients.length);

  // One invitation's end-to-end delay, the pipeline idle (the runner polls every 100 ms).
  const delays: number[] = [];
  for (let round = 0; round < 10; round++) {
    mailbox.mailbox.reset();
    const created = await call(createProcess, "POST", "/api/processes", {
      kind: "processMining",
      name: "One",
    });
    const id = (created.jsonBody as { id: string }).id;
    const started = performance.now();
    await call(
      shareProcess,
      "POST",
      `/api/processes/${id}/access`,
      { role: "viewer", recipients: [{ id: recipients[0]?.id }] },
      { id },
    );
    await waitForMail(1);
    delays.push(performance.now() - started);
  }
  delays.sort((a, b) => a - b);

  // Throughput: 40 shares of 5 recipients each (8 shares at a time) while the runner drains.
  mailbox.mailbox.reset();
  const shares = 40;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < shares) {
        next++;
        await shareWithEveryone();
      }
    }),
  );
  await waitForMail(shares * recipients.length);
  const seconds = (performance.now() - started) / 1000;
  const emails = mailbox.mailbox.list().length;

  console.log(
    JSON.stringify(
      {
        endToEndDelayMs: {
          median: Math.round(delays[Math.floor(delays.length / 2)] ?? Number.NaN),
          max: Math.round(delays.at(-1) ?? Number.NaN),
        },
        throughput: {
          emails,
          seconds: Number(seconds.toFixed(2)),
          emailsPerSecond: Number((emails / seconds).toFixed(1)),
        },
      },
      null,
      2,
    ),
  );
} finally {
  await runner.stop();
  await identity.close();
  await mailbox.close();
  await azurite.stop();
}
