import { shareProcess } from "../functions/access.js";
import { explainAccess } from "../functions/access.js";
import { createProcess, getProcess, listProcesses } from "../functions/processes.js";
import { createServices, useServices } from "../shared/composition.js";
import { loadConfig } from "../shared/config.js";
import { DevDirectory } from "../shared/directory/devDirectory.js";
import { MovableClock, RoundTripCounter } from "../test/support/app.js";
import { startTestIdentity } from "../test/support/identity.js";
import {
  benchDirectory,
  benchUserId,
  callHandler,
  type Figure,
  inProcessSettings,
  tablePrefix,
} from "./setup.js";

type Counted = (
  run: () => Promise<{ status: number }>,
  expected: readonly number[],
) => Promise<{ count: number; kinds: string[] }>;
type FigureOf = (name: string, count: number, expected: number, target: string, kinds: string[]) => void;

/** Issue 14's routes: a share with an expiry, explain, the expiring list, the expiry sweep. */
async function expiryRoundTrips(
  alice: string,
  id: string,
  counted: Counted,
  figure: FigureOf,
  clock: MovableClock,
  services: ReturnType<typeof createServices>,
): Promise<Figure[]> {
  const principalId = benchUserId(1);
  const expiresAt = new Date(clock.now().getTime() + 3_600_000).toISOString();
  const share = await counted(
    () =>
      callHandler(shareProcess, {
        method: "POST",
        path: `/api/processes/${id}/access`,
        params: { id },
        token: alice,
        body: { role: "viewer", recipients: [{ id: principalId }], sendInvitation: false, expiresAt },
      }),
    [200],
  );
  figure(
    "share with 1 recipient and expiresAt",
    share.count,
    5,
    "4 as without + 1 expiry index record = 5",
    share.kinds,
  );
  const explain = await counted(
    () =>
      callHandler(explainAccess, {
        path: `/api/processes/${id}/access/${principalId}/explain`,
        params: { id, principalId },
        token: alice,
      }),
    [200],
  );
  figure(
    "explain (about another person)",
    explain.count,
    1,
    "1 point read (+ 1 directory look-up)",
    explain.kinds,
  );
  const expiring = await counted(
    () => callHandler(listProcesses, { path: "/api/processes?expiringWithin=P7D", token: alice }),
    [200],
  );
  figure("one page of my roles expiring within P7D", expiring.count, 1, "1 query", expiring.kinds);
  clock.advance(3_600_001);
  const swept = await counted(async () => {
    const result = await services.useCases.expirySweep.sweep();
    return { status: result.expired === 1 ? 200 : 500 };
  }, [200]);
  figure(
    "expiry sweep of one expired role",
    swept.count,
    6,
    "1 index query + 1 read + 1 repair record + 1 list write + 1 transaction + 1 settle = 6",
    swept.kinds,
  );
  return [];
}

/**
 * Storage round trips per request, counted by the tests' RoundTripCounter policy in the storage
 * pipeline: a count, so it does not depend on the machine's speed.
 */
export async function measureRoundTrips(connectionString: string): Promise<Figure[]> {
  const directory = new DevDirectory(benchDirectory());
  const identity = await startTestIdentity({ directory });
  const counter = new RoundTripCounter();
  const clock = new MovableClock();
  const services = createServices(
    loadConfig(inProcessSettings(connectionString, identity.authSettings, tablePrefix("rt"))),
    { storagePolicies: [counter.policy], directory, clock },
  );
  useServices(services);
  try {
    await services.ready();
    const alice = await identity.token("alice");
    const carol = await identity.token("carol");
    const create = async (token: string, name: string) => {
      const created = await callHandler(createProcess, {
        method: "POST",
        path: "/api/processes",
        token,
        body: { kind: "processMining", name },
      });
      if (created.status !== 201) throw new Error(`create answered ${created.status}`);
      return created.body.id as string;
    };
    const counted = async (run: () => Promise<{ status: number }>, expected: readonly number[]) => {
      counter.reset();
      const { status } = await run();
      if (!expected.includes(status)) throw new Error(`unexpected status ${status}`);
      return { count: counter.count, kinds: counter.kinds().sort() };
    };
    const figures: Figure[] = [];
    const figure = (name: string, count: number, expected: number, target: string, kinds: string[]) =>
      figures.push({
        section: "round trips",
        name,
        value: count,
        unit: "requests",
        target,
        met: count === expected,
        note: kinds.join(", ") || "none",
      });

    const id = await create(alice, "Round trips");
    const get = await counted(
      () => callHandler(getProcess, { path: `/api/processes/${id}`, params: { id }, token: alice }),
      [200],
    );
    figure("authorized get of one process", get.count, 1, "1 point read", get.kinds);

    for (const name of ["One", "Two", "Three"]) await create(carol, name);
    const page = await counted(
      () => callHandler(listProcesses, { path: "/api/processes?top=2", token: carol }),
      [200],
    );
    figure("one page of my processes", page.count, 1, "1 query", page.kinds);

    for (const k of [1, 3, 10]) {
      const target = await create(alice, `Share with ${k}`);
      const recipients = Array.from({ length: k }, (_, index) => ({ id: benchUserId(index + 1) }));
      const share = await counted(
        () =>
          callHandler(shareProcess, {
            method: "POST",
            path: `/api/processes/${target}/access`,
            params: { id: target },
            token: alice,
            body: { role: "viewer", recipients, sendInvitation: false },
          }),
        [200],
      );
      figure(
        `share with ${k} recipient${k === 1 ? "" : "s"}`,
        share.count,
        k + 3,
        `1 read + 1 repair record + ${k} list write${k === 1 ? "" : "s"} + 1 transaction = ${k + 3}`,
        share.kinds,
      );
    }

    // An administrator's list: its own page first (every process mining process is left for the
    // index), then a page of the kind's index with the administrator's own role on each of them.
    const dave = await identity.token("dave");
    for (let index = 0; index < 50; index++) {
      await create(dave, `Administered ${index}`);
      await create(alice, `Overseen ${index}`);
    }
    const own = await callHandler(listProcesses, { path: "/api/processes?top=100", token: dave });
    const indexLink = new URL(String(own.body.nextLink), "http://localhost");
    const indexPage = await counted(
      () => callHandler(listProcesses, { path: `${indexLink.pathname}${indexLink.search}`, token: dave }),
      [200],
    );
    const roleQueries = Math.ceil(100 / 14);
    figure(
      "one page of an administrator's list (top=100)",
      indexPage.count,
      1 + roleQueries,
      `1 index query + ${roleQueries} own-role queries of ≤ 15 comparisons, side by side = ${1 + roleQueries}`,
      indexPage.kinds,
    );

    figures.push(...(await expiryRoundTrips(alice, id, counted, figure, clock, services)));

    const refused = [
      "not-a-jwt",
      await identity.token("alice", { audience: "api://someone-else" }),
      await identity.token("alice", { tenantId: "00000000-0000-4000-8000-000000000000" }),
      await identity.token("alice", { expiresIn: -600 }),
      await identity.token("alice", { scope: "Process.Read" }),
      await identity.token("alice", { appOnly: true }),
    ];
    let refusedCount = 0;
    for (const token of refused) {
      const result = await counted(
        () => callHandler(getProcess, { path: `/api/processes/${id}`, params: { id }, token }),
        [401, 403],
      );
      refusedCount += result.count;
    }
    figures.push({
      section: "round trips",
      name: `refused token (${refused.length} kinds)`,
      value: refusedCount,
      unit: "requests",
      target: "0",
      met: refusedCount === 0,
      note: "malformed, audience, tenant, expired, scope, app-only",
    });
    return figures;
  } finally {
    useServices(undefined);
    await identity.close();
  }
}
