import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { listProcesses } from "../../functions/processes.js";
import { createProcessAs, MovableClock, startTestApp, type TestApp, users } from "../support/app.js";
import { hourMs, inFuture, share } from "./support.js";

let app: TestApp;
const clock = new MovableClock();
const dayMs = 24 * hourMs;

beforeAll(async () => {
  app = await startTestApp({ services: { clock } });
});
afterAll(async () => {
  await app.close();
});

function expiring(as: string, query: string) {
  return app.call(listProcesses, { as, path: `/api/processes?${query}` });
}

describe("GET /api/processes?expiringWithin=", () => {
  test("lists the caller's roles that end within the window, with expiresAt; not ended ones, not others", async () => {
    const soon = await createProcessAs(app, "alice", "processMining", "ends in 2 days");
    const later = await createProcessAs(app, "alice", "processMining", "ends in 20 days");
    const never = await createProcessAs(app, "alice", "taskMining", "does not end");
    const ended = await createProcessAs(app, "alice", "processMining", "already ended");
    const soonAt = inFuture(clock.now(), 2 * dayMs);
    await share(app, "alice", soon, {
      role: "viewer",
      recipients: [{ id: users.carol.id }],
      expiresAt: soonAt,
    });
    await share(app, "alice", later, {
      role: "viewer",
      recipients: [{ id: users.carol.id }],
      expiresAt: inFuture(clock.now(), 20 * dayMs),
    });
    await share(app, "alice", never, { role: "contributor", recipients: [{ id: users.carol.id }] });
    await share(app, "alice", ended, {
      role: "viewer",
      recipients: [{ id: users.carol.id }],
      expiresAt: inFuture(clock.now(), 60_000),
    });
    clock.advance(61_000);

    const week = await expiring("carol", "expiringWithin=P7D");
    expect(week.status).toBe(200);
    expect(week.body.value).toEqual([
      expect.objectContaining({ id: soon, myRole: "viewer", expiresAt: soonAt, accessRevoked: false }),
    ]);
    const month = await expiring("carol", "expiringWithin=P4W");
    expect(month.body.value.map((entry: { id: string }) => entry.id).sort()).toEqual([soon, later].sort());
    expect((await expiring("alice", "expiringWithin=P7D")).body.value).toEqual([]);
  });

  test("pages with a nextLink that keeps the window", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const id = await createProcessAs(app, "bob", "taskMining");
      ids.push(id);
      await share(app, "bob", id, {
        role: "contributor",
        recipients: [{ id: users.erin.id }],
        expiresAt: inFuture(clock.now(), hourMs),
      });
    }
    const seen: string[] = [];
    let path: string | undefined = "/api/processes?expiringWithin=PT2H&top=2";
    while (path !== undefined) {
      const page: any = await app.call(listProcesses, {
        as: "erin",
        path: new URL(path, "http://localhost").href,
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.value.map((entry: { id: string }) => entry.id));
      path = page.body.nextLink;
      if (path !== undefined) expect(new URL(path).searchParams.get("expiringWithin")).toBe("PT2H");
    }
    expect(seen.sort()).toEqual(ids.sort());
  });

  test("a token of the plain list is not one of the expiring list", async () => {
    for (let index = 0; index < 2; index++) await createProcessAs(app, "dave", "taskMining");
    const plain = await app.call(listProcesses, { as: "dave", path: "/api/processes?top=1" });
    const token = new URL(plain.body.nextLink).searchParams.get("continuationToken") ?? "";
    const crossed = await expiring(
      "dave",
      `expiringWithin=P7D&continuationToken=${encodeURIComponent(token)}`,
    );
    expect([crossed.status, crossed.body.code]).toEqual([400, "invalid_continuation_token"]);
  });

  test.each([
    "7D",
    "P",
    "PT",
    "P1M",
    "P1Y",
    "P0D",
    "P367D",
    "P99999999999999999999D",
    "P1.5D",
    "-P1D",
    "P7d",
  ])("expiringWithin=%s is refused", async (value) => {
    const response = await expiring("carol", `expiringWithin=${encodeURIComponent(value)}`);
    expect([response.status, response.body.code]).toEqual([400, "validation_failed"]);
    expect(response.body.errors[0].field).toBe("expiringWithin");
  });

  test.each(["P366D", "P1W", "PT30M", "P1DT12H", "PT3600S"])(
    "expiringWithin=%s is accepted",
    async (value) => {
      expect((await expiring("carol", `expiringWithin=${value}`)).status).toBe(200);
    },
  );

  test("costs one storage round trip per page", async () => {
    app.roundTrips.reset();
    await expiring("carol", "expiringWithin=P7D");
    expect(app.roundTrips.kinds()).toEqual(["GET query"]);
  });
});
