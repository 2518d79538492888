import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

import { QueueServiceClient } from "@azure/storage-queue";
import { afterAll, beforeAll, expect, inject, test } from "vitest";

import { loadFunctionApp, type RegisteredFunction, triggerOf } from "../../local/host/functionsCore.js";
import { encodeMessage, type RunningQueues, startQueueTriggers } from "../../local/host/queueRunner.js";
import { readHostSettings } from "../../local/host/settings.js";
import { startTimers } from "../../local/host/timerRunner.js";
import { received } from "./fixtures/app.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const suffix = randomBytes(4).toString("hex");
const workQueue = `hosttest-work-${suffix}`;
const failingQueue = `hosttest-failing-${suffix}`;
const settings = readHostSettings(fixtures);
const lines: string[] = [];
let functions: RegisteredFunction[];
let queues: RunningQueues;
let service: QueueServiceClient;

async function eventually<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  process.env.HostTestStorage = inject("azuriteConnectionString");
  process.env.HOST_TEST_WORK_QUEUE = workQueue;
  process.env.HOST_TEST_FAILING_QUEUE = failingQueue;
  service = QueueServiceClient.fromConnectionString(inject("azuriteConnectionString"));
  functions = await loadFunctionApp(fileURLToPath(new URL("app.ts", `file://${fixtures}`)));
  queues = await startQueueTriggers({
    functions: functions.filter((fn) => triggerOf(fn).type === "queueTrigger"),
    settings: settings.queues,
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await queues.stop();
});

test("the test host.json's queue settings are read", () => {
  expect(settings.queues).toEqual({
    batchSize: 4,
    newBatchThreshold: 2,
    maxDequeueCount: 3,
    visibilityTimeoutMs: 0,
    maxPollingIntervalMs: 200,
    messageEncoding: "base64",
  });
});

test("the trigger's queues and their poison queues are created, the %SETTING% names resolved", async () => {
  expect(queues.queues.map((queue) => queue.queueName).sort()).toEqual([failingQueue, workQueue].sort());
  const names: string[] = [];
  for await (const queue of service.listQueues({ prefix: "hosttest-" })) names.push(queue.name);
  expect(names).toEqual(
    expect.arrayContaining([workQueue, `${workQueue}-poison`, failingQueue, `${failingQueue}-poison`]),
  );
});

test("a base64 JSON message reaches the function parsed, with its trigger metadata, and is deleted", async () => {
  const sent = await service
    .getQueueClient(workQueue)
    .sendMessage(encodeMessage(JSON.stringify({ invitationId: "i-1" }), "base64"));
  const [delivery] = await eventually(
    () => received.queue.filter((entry) => entry.metadata.id === sent.messageId),
    (found) => found.length > 0,
    "the work message",
  );
  expect(delivery?.message).toEqual({ invitationId: "i-1" });
  expect(delivery?.dequeueCount).toBe(1);
  expect(delivery?.functionName).toBe("receiveWork");
  expect(delivery?.metadata).toMatchObject({
    id: sent.messageId,
    dequeueCount: 1,
    insertionTime: sent.insertedOn.toISOString(),
    expirationTime: sent.expiresOn.toISOString(),
  });
  expect(typeof delivery?.metadata.popReceipt).toBe("string");
  expect(typeof delivery?.metadata.nextVisibleTime).toBe("string");
  await eventually(
    async () => (await service.getQueueClient(workQueue).getProperties()).approximateMessagesCount ?? -1,
    (count) => count === 0,
    "the work queue to empty",
  );
  const executed = await eventually(
    () => lines.filter((line) => line.includes(`message ${sent.messageId}`)),
    (found) => found.length > 0,
    "the invocation line",
  );
  expect(executed).toHaveLength(1);
  expect(executed[0]).toMatch(/Executed 'receiveWork' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)/);
});

test("a message that always fails is tried maxDequeueCount times and then lands in the poison queue", async () => {
  const body = encodeMessage(JSON.stringify({ poisonous: true }), "base64");
  const sent = await service.getQueueClient(failingQueue).sendMessage(body);
  const poison = service.getQueueClient(`${failingQueue}-poison`);
  const [poisoned] = await eventually(
    async () => (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems,
    (items) => items.length > 0,
    "the poison queue",
  );
  expect(poisoned?.messageText).toBe(body);
  expect(received.failingAttempts).toBe(settings.queues.maxDequeueCount);
  const attempts = await eventually(
    () => lines.filter((line) => line.includes(`message ${sent.messageId}`)),
    (found) => found.length >= settings.queues.maxDequeueCount,
    "every attempt's line",
  );
  expect(attempts.map((line) => /dequeueCount=(\d)/.exec(line)?.[1])).toEqual(["1", "2", "3"]);
  expect(attempts.every((line) => line.includes("(Failed,"))).toBe(true);
  expect((await service.getQueueClient(failingQueue).peekMessages()).peekedMessageItems).toHaveLength(0);
});

test("a timer fires on its six-field schedule with a Timer object", async () => {
  const tick = functions.filter((fn) => fn.metadata.name === "tick");
  const timers = startTimers({ functions: tick, log: (line) => lines.push(line) });
  try {
    expect(timers.schedules).toEqual([
      { functionName: "tick", schedule: "*/1 * * * * *", runOnStartup: false },
    ]);
    const [timer] = await eventually(
      () => received.timer,
      (fired) => fired.length > 0,
      "the timer",
    );
    expect(typeof timer?.isPastDue).toBe("boolean");
    expect(Date.parse(timer?.scheduleStatus.next ?? "")).toBeGreaterThan(
      Date.parse(timer?.scheduleStatus.last ?? ""),
    );
  } finally {
    await timers.stop();
  }
  expect(lines.some((line) => line.includes("Executed 'tick' (Succeeded"))).toBe(true);
});
