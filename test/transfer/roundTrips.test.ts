import { afterAll, beforeAll, expect, test } from "vitest";

import { createProcessAs, startTestApp, type TestApp, users } from "../support/app.js";
import { transferCalls } from "./support.js";

/**
 * Storage round trips of each transfer route (a count, not a timing), as the README states them:
 * what leaves the SDK, counted by the RoundTripCounter policy. Bounded by the two people a
 * transfer concerns, never by the process's size or the table's.
 */

let app: TestApp;
let calls: ReturnType<typeof transferCalls>;

beforeAll(async () => {
  app = await startTestApp();
  calls = transferCalls(app);
});
afterAll(async () => {
  await app.close();
});

async function counted(run: () => Promise<{ status: number }>, status: number): Promise<string[]> {
  app.roundTrips.reset();
  const answer = await run();
  expect(answer.status).toBe(status);
  return app.roundTrips.kinds();
}

test("each transfer route costs a small fixed number of storage round trips", async () => {
  const id = await createProcessAs(app, "alice", "taskMining");
  await calls.share("alice", id, "contributor", "bob", "carol");
  const figures: Record<string, string[]> = {};
  figures.offerWithEmail = await counted(() => calls.offer("alice", id, { principalId: users.bob.id }), 200);
  figures.offer = await counted(
    () => calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false }),
    200,
  );
  figures.withdraw = await counted(() => calls.withdraw("alice", id), 204);
  await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
  figures.decline = await counted(() => calls.decline("bob", id), 204);
  await calls.offer("alice", id, { principalId: users.bob.id, sendInvitation: false });
  figures.accept = await counted(() => calls.accept("bob", id), 204);
  figures.reassign = await counted(() => calls.reassign("dave", id, users.carol.id), 200);
  // The process row read (authorizes and decides), then one transaction on the partition.
  expect(figures.offer).toEqual(["GET point", "POST batch"]);
  expect(figures.withdraw).toEqual(["GET point", "POST batch"]);
  expect(figures.decline).toEqual(["GET point", "POST batch"]);
  // With its email: the pending-invitation index row first (the queue message is not Table Storage).
  expect(figures.offerWithEmail).toEqual(["GET point", "PUT point", "POST batch"]);
  // The row read, the repair record, both list rows written ahead, then the one transaction.
  const transfer = ["GET point", "POST other", "PUT point", "PUT point", "POST batch"];
  expect(figures.accept).toEqual(transfer);
  expect(figures.reassign).toEqual(transfer);
});
