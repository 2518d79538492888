import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { getProcess, listProcesses } from "../../functions/processes.js";
import { answerOf, Harness, ModelMismatch } from "../model/harness.js";
import { KNOWN_FINDINGS } from "../model/knownFindings.js";
import {
  answerKey,
  callers,
  cloneState,
  type Command,
  emptyState,
  expectation,
  type ModelState,
} from "../model/reference.js";
import { MovableClock, startTestApp, type TestApp } from "../support/app.js";
import { startTestIdentity, type TestIdentity } from "../support/identity.js";
import { runRepairTimers } from "../support/repair.js";
import { StoragePacing } from "../support/storagePacing.js";

/**
 * Every storage write of the share, change, revoke (and leave) and delete paths, failed in turn:
 * a pipeline policy fails the Nth storage request of the one call under test (as a crash or an
 * outage would), whatever table or key it goes to. Afterwards, once the repair paths have run
 * (everyone opens the process and reads their whole list, the timers run, past the stated
 * two-minute bound), everything everyone sees agrees with the model: the write happened whole or
 * not at all.
 */

let identity: TestIdentity;
beforeAll(async () => {
  identity = await startTestIdentity();
});
afterAll(async () => {
  await identity.close();
});

/** How far the clock moves before the repair paths run: past the bound the issue states (two minutes). */
const repairBoundMs = 3 * 60_000;

interface Case {
  readonly name: string;
  /** The finding today's code fails this case by, if any. */
  readonly knownFailure: boolean;
  /** The process's history before the write under test (process 0 of the run, alice's). */
  readonly setup: readonly Command[];
  readonly write: Command;
}

const setup: Command[] = [
  { t: "create", by: "alice", kind: "taskMining", name: "Expense claims" },
  {
    t: "share",
    by: "alice",
    p: 0,
    role: "coOwner",
    recipients: [
      { who: "bob", via: "id" },
      { who: "frank", via: "id" },
    ],
  },
  {
    t: "share",
    by: "alice",
    p: 0,
    role: "contributor",
    recipients: [
      { who: "carol", via: "email" },
      { who: "dave", via: "id" },
    ],
  },
  { t: "addRecording", by: "carol", p: 0 },
];

const cases: Case[] = [
  {
    name: "share (a new holder, a changed role, one unchanged)",
    knownFailure: KNOWN_FINDINGS.failedWritesLeaveRows,
    setup,
    write: {
      t: "share",
      by: "bob",
      p: 0,
      role: "coOwner",
      recipients: [
        { who: "erin", via: "email" },
        { who: "carol", via: "id" },
        { who: "frank", via: "id" },
      ],
    },
  },
  {
    name: "change a role",
    knownFailure: KNOWN_FINDINGS.failedWritesLeaveRows,
    setup,
    write: { t: "change", by: "alice", p: 0, target: "dave", role: "coOwner" },
  },
  {
    name: "share a process mining process with the administrator, the share privilege and a guest",
    knownFailure: KNOWN_FINDINGS.failedWritesLeaveRows,
    setup: [{ t: "create", by: "alice", kind: "processMining", name: "Order to cash" }],
    write: {
      t: "share",
      by: "alice",
      p: 0,
      role: "viewer",
      recipients: [
        { who: "dave", via: "id" },
        { who: "frank", via: "email" },
        { who: "erin", via: "id" },
      ],
    },
  },
  {
    name: "rename",
    knownFailure: KNOWN_FINDINGS.failedWritesLeaveRows,
    setup,
    write: { t: "rename", by: "bob", p: 0, name: "Travel claims" },
  },
  {
    name: "revoke",
    knownFailure: false,
    setup,
    write: { t: "revoke", by: "bob", p: 0, target: "frank" },
  },
  {
    name: "leave",
    knownFailure: false,
    setup,
    write: { t: "revoke", by: "carol", p: 0, target: "carol" },
  },
  {
    name: "accept an ownership offer (issue 14)",
    knownFailure: false,
    setup: [...setup, { t: "offer", by: "alice", p: 0, target: "carol" }],
    write: { t: "accept", by: "carol", p: 0 },
  },
  {
    name: "delete",
    knownFailure: KNOWN_FINDINGS.deleteNotResumable,
    setup,
    write: { t: "delete", by: "bob", p: 0 },
  },
];

/**
 * Runs the case once per storage request of its write, each time on a fresh app (tables of its
 * own) with request n failed; returns what did not agree with the model after the repair paths.
 */
async function failEveryRequest(testCase: Case): Promise<string[]> {
  const problems: string[] = [];
  for (let n = 1; ; n++) {
    const clock = new MovableClock();
    const pacing = new StoragePacing();
    const app = await startTestApp({ identity, services: { clock, storagePolicies: [pacing.policy] } });
    try {
      const harness = new Harness(app, 100, pacing);
      let state = emptyState();
      for (const command of testCase.setup) state = await harness.step(state, command, { check: false });
      const expected = expectation(state, testCase.write);
      const { raw, sent } = await harness.performPaced(state, testCase.write, { failAt: n });
      // Past the last request nothing failed: every request of the write has had its turn.
      if (n > sent) return problems;
      const answer = answerOf(testCase.write, raw!);
      const succeeded = answer.status < 300;
      const after = cloneState(state);
      expected.effect?.(after, raw!);
      if (succeeded && !expected.answers.some((candidate) => answerKey(candidate) === answerKey(answer))) {
        problems.push(
          `request ${n} of ${sent} failed: answered ${answerKey(answer)}, expected ${expected.answers.map(answerKey).join(" | ")}`,
        );
        continue;
      }
      if (!succeeded && testCase.write.t === "delete") {
        // A delete that failed half-way is finished by its retry (finding 8: resumable, never a 404 for what is left).
        const retry = await harness.perform(state, testCase.write);
        if (retry?.status !== 204)
          problems.push(
            `storage request ${n} of ${sent} failed: the retry answered ${retry?.status}, not 204`,
          );
        else expected.effect?.(state, retry);
      }
      await repair(app, clock, state);
      try {
        await harness.check(succeeded ? [after] : [state, after]);
      } catch (error) {
        if (!(error instanceof ModelMismatch)) throw error;
        problems.push(
          `storage request ${n} of ${sent} failed (answered ${answer.status}); after the repair paths:\n${error.detail}`,
        );
      }
    } finally {
      await app.close();
    }
  }
}

/** The repair paths: past the bound, everyone opens every process and reads their whole list; the timers run. */
async function repair(app: TestApp, clock: MovableClock, state: ModelState): Promise<void> {
  clock.advance(repairBoundMs);
  for (const who of callers) {
    for (const process of state.processes)
      await app.call(getProcess, {
        as: who,
        path: `/api/processes/${process.id}`,
        params: { id: process.id },
      });
    for (let path: string | undefined = "/api/processes?top=100"; path !== undefined;) {
      const page: { status: number; body: any } = await app.call(listProcesses, { as: who, path });
      path = page.status === 200 ? (page.body.nextLink as string | undefined) : undefined;
    }
  }
  await runRepairTimers(app);
}

describe("a storage write that fails half-way leaves the model's invariants once the repair paths have run", () => {
  for (const testCase of cases) {
    (testCase.knownFailure ? test.fails : test)(testCase.name, { timeout: 240_000 }, async () => {
      const problems = await failEveryRequest(testCase);
      expect(problems, problems.join("\n\n")).toEqual([]);
    });
  }
});
