import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { listProcesses } from "../../functions/processes.js";
import type { StoredProcess } from "../../shared/domain/model.js";
import { createProcessAs, MovableClock, startTestApp, type TestApp, users } from "../support/app.js";
import { runRepairTimers } from "../support/repair.js";
import { StoragePacing } from "../support/storagePacing.js";
import { disagreements, transferCalls } from "./support.js";

/**
 * A crash at every storage request of an acceptance and of an administrator's reassignment
 * (issue 14: "no crash leaves it half-done"): request n of the one call fails as a crash would
 * (it never reaches storage), for every n until the call runs clean. Then the repair paths run
 * past their stated bound (the list repair sweep and the invitation sweeper, everyone opens the
 * process and their list), and the process is either handed over whole or not at all, with every
 * role row and every member's list row agreeing with its members map; a retry then succeeds.
 */

/**
 * A crash: from request n of the call on, nothing reaches storage (the process died there, so
 * nothing it would have put back runs either). Counted only while armed, around the one call.
 */
class Crash {
  private from: number | undefined;
  private count = 0;
  readonly sent: string[] = [];

  readonly policy: PipelinePolicy = {
    name: "crash",
    sendRequest: async (request, next) => {
      if (this.from === undefined) return await next(request);
      this.count += 1;
      this.sent.push(`${request.method} ${decodeURIComponent(new URL(request.url).pathname)}`);
      if (this.count >= this.from) throw new Error(`crashed before storage request ${this.count}`);
      return await next(request);
    },
  };

  async run<T>(from: number, call: () => Promise<T>): Promise<{ value: T; sent: string[] }> {
    this.from = from;
    this.count = 0;
    this.sent.length = 0;
    try {
      return { value: await call(), sent: [...this.sent] };
    } finally {
      this.from = undefined;
    }
  }
}

let app: TestApp;
let calls: ReturnType<typeof transferCalls>;
const clock = new MovableClock();
const pacing = new StoragePacing();
const crash = new Crash();

beforeAll(async () => {
  app = await startTestApp({ services: { clock, storagePolicies: [pacing.policy, crash.policy] } });
  calls = transferCalls(app);
});
afterAll(async () => {
  await app.close();
});

const members = ["alice", "bob", "carol"] as const;

async function repairPaths(id: string): Promise<void> {
  clock.advance(3 * 60_000);
  await runRepairTimers(app);
  for (const who of members) {
    await calls.get(who, id);
    await app.call(listProcesses, { as: who, path: "/api/processes?top=100" });
  }
}

async function setUp(kind: "taskMining" | "processMining"): Promise<string> {
  const id = await createProcessAs(app, "alice", kind);
  await calls.share("alice", id, kind === "taskMining" ? "contributor" : "viewer", "bob", "carol");
  expect((await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false })).status).toBe(
    200,
  );
  return id;
}

type Mode = "one request fails" | "crash";

async function failEveryRequest(
  kind: "taskMining" | "processMining",
  write: (id: string) => Promise<{ status: number }>,
  newOwner: string,
  mode: Mode,
): Promise<{ requests: number; problems: string[] }> {
  const problems: string[] = [];
  for (let n = 1; ; n++) {
    const id = await setUp(kind);
    const { value: answer, sent } =
      mode === "crash"
        ? await crash.run(n, () => write(id))
        : await pacing
            .run({ failAt: n }, async () => await write(id))
            .then(({ value, sent: requests }) => ({
              value,
              sent: requests.map((request) => `${request.method} ${request.path}`),
            }));
    if (n > sent.length) {
      expect(answer.status).toBeLessThan(300);
      expect(await disagreements(app, id)).toEqual([]);
      return { requests: sent.length, problems };
    }
    await repairPaths(id);
    const process = (await app.services.store.read(id)) as StoredProcess;
    const handedOver = process.ownerId === newOwner;
    const label = `${mode} at request ${n} of ${sent.length} (${sent[n - 1]}), answered ${answer.status}`;
    if (answer.status < 300 && !handedOver) problems.push(`${label}: success answered, nothing handed over`);
    if (handedOver && process.pendingOwner !== undefined) problems.push(`${label}: offer left standing`);
    if (!handedOver && process.ownerId !== users.alice.id)
      problems.push(`${label}: owner ${process.ownerId}`);
    for (const difference of await disagreements(app, id)) problems.push(`${label}: ${difference}`);
    if (!handedOver) {
      const retry = await write(id);
      if (retry.status >= 300) problems.push(`${label}: the retry answered ${retry.status}`);
      for (const difference of await disagreements(app, id))
        problems.push(`${label}, after the retry: ${difference}`);
    }
  }
}

describe.each<Mode>(["crash", "one request fails"])(
  "%s at every storage request of a transfer: whole or not at all",
  (mode) => {
    test("accepting an offer of a task mining process", async () => {
      const { requests, problems } = await failEveryRequest(
        "taskMining",
        (id) => calls.accept("bob", id),
        users.bob.id,
        mode,
      );
      expect(problems).toEqual([]);
      expect(requests).toBeGreaterThan(4);
    });

    test("accepting an offer of a process mining process", async () => {
      const { problems } = await failEveryRequest(
        "processMining",
        (id) => calls.accept("bob", id),
        users.bob.id,
        mode,
      );
      expect(problems).toEqual([]);
    });

    test("an administrator's reassignment to someone who held no role", async () => {
      const { problems } = await failEveryRequest(
        "processMining",
        (id) => calls.reassign("dave", id, users.erin.id),
        users.erin.id,
        mode,
      );
      expect(problems).toEqual([]);
    });
  },
);
