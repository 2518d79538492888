import { AnonymousCredential, QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

import { listAccess } from "../../functions/access.js";
import { createServices, type Services, useServices } from "../../shared/composition.js";
import { defaultGraceSeconds } from "../../shared/invitations/invitationSweeper.js";
import { processPath, users } from "../support/app.js";
import {
  createProcessAs,
  drain,
  fastMailTuning,
  type InvitationApp,
  peekCount,
  shareAs,
  startInvitationApp,
} from "./support.js";

/** The share path's queue is down: a queue URL on a closed loopback port, tried once. */
const brokenQueue = new QueueClient(
  "http://127.0.0.1:9/devstoreaccount1/invitations",
  new AnonymousCredential(),
  {
    retryOptions: { maxTries: 1 },
  },
);

let it: InvitationApp;
/** The same app once the queue is back: the sweeper's function instance. */
let recovered: Services;

beforeAll(async () => {
  it = await startInvitationApp({ invitationQueue: brokenQueue });
  recovered = createServices(it.app.config, { invitationQueue: it.queue, mailTuning: fastMailTuning });
});
afterAll(async () => {
  await it.close();
});
beforeEach(() => {
  it.mailbox.mailbox.reset();
});

const later = (seconds: number): Date => new Date(Date.now() + seconds * 1000);

async function invitationOf(id: string, principalId: string): Promise<any> {
  useServices(it.app.services);
  const access = await it.app.call(listAccess, { as: "alice", ...processPath(id, "/access") });
  return access.body.value.find((entry: { principalId: string }) => entry.principalId === principalId)
    ?.invitation;
}

/** Runs the queue handler over the recovered app's services, as the function host would. */
async function deliverAll(): Promise<void> {
  useServices(recovered);
  const deliveries = await drain(it.queue);
  expect(deliveries.map((delivery) => delivery.error)).toEqual(deliveries.map(() => undefined));
}

describe("the sweeper", () => {
  test("hands over an invitation whose first enqueue failed, after the grace period, and it is sent once", async () => {
    const id = await createProcessAs(it.app, "alice", "taskMining");
    const shared = await shareAs(it.app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.bob.id }],
    });
    expect(shared.status).toBe(200);
    expect(it.logs.some((line) => line.startsWith("Invitation not handed over"))).toBe(true);
    expect(await peekCount(it.queue)).toBe(0);

    // Within the grace period the sweeper leaves it alone: it may still be on its way.
    expect((await recovered.invitationSweeper.sweep(later(0))).handedOver).toBe(0);
    const sweep = await recovered.invitationSweeper.sweep(later(defaultGraceSeconds + 60));
    expect(sweep.handedOver).toBe(1);
    expect(await peekCount(it.queue)).toBe(sweep.handedOver);
    await deliverAll();

    const mail = it.mailbox.mailbox.list();
    expect(mail.map((email) => [email.to[0]?.address, email.subject])).toEqual([
      [
        users.bob.email,
        `${users.alice.displayName} invited you to help manage the process "taskMining of alice"`,
      ],
    ]);
    expect(await invitationOf(id, users.bob.id)).toMatchObject({ status: "sent" });

    // Sent, so its index row is gone: a later sweep finds nothing of it.
    const after = await recovered.invitationSweeper.sweep(later(2 * defaultGraceSeconds + 120));
    expect(after.handedOver).toBe(0);
  });

  test("hands over once per grace period, and marks the invitation failed after its last hand-over", async () => {
    await drain(it.queue);
    const id = await createProcessAs(it.app, "alice", "processMining");
    await shareAs(it.app, "alice", id, { role: "viewer", recipients: [{ id: users.carol.id }] });
    const step = defaultGraceSeconds + 60;
    const counts: number[] = [];
    for (let round = 1; round <= 3; round++) {
      counts.push((await recovered.invitationSweeper.sweep(later(step * round))).handedOver);
      // The same minute again: nothing handed over twice.
      counts.push((await recovered.invitationSweeper.sweep(later(step * round + 1))).handedOver);
    }
    expect(counts).toEqual([1, 0, 1, 0, 1, 0]);
    const last = await recovered.invitationSweeper.sweep(later(step * 4));
    expect(last.failed).toBe(1);
    const invitation = await invitationOf(id, users.carol.id);
    expect(invitation.status).toBe("failed");
    expect(invitation.failureReason).toContain("hand-overs");
    // The three messages it handed over find the invitation settled: no email.
    await deliverAll();
    expect(it.mailbox.mailbox.requestCounts().send).toBe(0);
  });

  test("clears the index row of an invitation whose share never committed", async () => {
    await drain(it.queue);
    const id = await createProcessAs(it.app, "alice", "taskMining");
    it.app.faults.crashOn((request) => request.method === "POST" && request.url.endsWith("/$batch"));
    const shared = await shareAs(it.app, "alice", id, {
      role: "coOwner",
      recipients: [{ id: users.dave.id }],
    });
    expect(shared.status).toBe(500);
    const sweep = await recovered.invitationSweeper.sweep(later(20 * defaultGraceSeconds));
    expect(sweep).toEqual({ examined: 1, handedOver: 0, cleared: 1, failed: 0 });
    expect((await recovered.invitationSweeper.sweep(later(20 * defaultGraceSeconds))).examined).toBe(0);
    expect(await peekCount(it.queue)).toBe(0);
  });
});
