import { randomUUID } from "node:crypto";

import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";

import { createProcess, listProcesses } from "../functions/processes.js";
import { createServices, type Services, useServices } from "../shared/composition.js";
import { loadConfig } from "../shared/config.js";
import { DevDirectory } from "../shared/directory/devDirectory.js";
import { RoundTripCounter } from "../test/support/app.js";
import { startTestIdentity } from "../test/support/identity.js";
import { median } from "./measure.js";
import { benchDirectory, callHandler, type Figure, inProcessSettings, tablePrefix } from "./setup.js";

const ownProcesses = 20;
const rowsPerBatch = 100;

/**
 * Inserts `count` list rows of other users, 100 per user in one transaction. Only the lists table:
 * a caller's list reads nothing else (the index is the administrators' list, another figure).
 */
async function insertOthers(services: Services, count: number): Promise<void> {
  const { userProcesses } = services.store.tables;
  const batches: { table: TableClient; actions: TransactionAction[] }[] = [];
  const addedAt = new Date().toISOString();
  for (let first = 0; first < count; first += rowsPerBatch) {
    const userId = randomUUID();
    const size = Math.min(rowsPerBatch, count - first);
    const ids = Array.from({ length: size }, () => randomUUID());
    batches.push({
      table: userProcesses,
      actions: ids.map((processId) => [
        "create",
        {
          partitionKey: userId,
          rowKey: processId,
          kind: "processMining",
          name: `Other ${processId.slice(0, 8)}`,
          role: "owner",
          accessRevoked: false,
          addedAt,
        },
      ]),
    });
  }
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      await batch.table.submitTransaction(batch.actions);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * Scale: my list with 100 and with 20,000 other processes in the tables. Two table sets side by
 * side, the same caller and own processes in each, measured in alternating rounds.
 */
export async function measureScale(
  connectionString: string,
  options: { others?: number; rounds?: number; callsPerRound?: number } = {},
): Promise<Figure[]> {
  const others = options.others ?? 20_000;
  const rounds = options.rounds ?? 6;
  const callsPerRound = options.callsPerRound ?? 40;
  const directory = new DevDirectory(benchDirectory());
  const identity = await startTestIdentity({ directory });
  try {
    const alice = await identity.token("alice");
    const aliceId = directory.user("alice")!.id;
    const counter = new RoundTripCounter();
    const make = async (otherCount: number) => {
      const services = createServices(
        loadConfig(inProcessSettings(connectionString, identity.authSettings, tablePrefix("sc"))),
        { storagePolicies: [counter.policy], directory },
      );
      useServices(services);
      await services.ready();
      for (let index = 0; index < ownProcesses; index++) {
        await callHandler(createProcess, {
          method: "POST",
          path: "/api/processes",
          token: alice,
          body: { kind: index % 2 === 0 ? "processMining" : "taskMining", name: `Mine ${index}` },
        });
      }
      const started = performance.now();
      await insertOthers(services, otherCount);
      return { services, otherCount, insertSeconds: (performance.now() - started) / 1000 };
    };
    const small = await make(100);
    const large = await make(others);

    const rawQuery = async (services: Services) => {
      const started = performance.now();
      const page = await services.store.tables.userProcesses
        .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${aliceId}` } })
        .byPage({ maxPageSize: 50 })
        .next();
      const milliseconds = performance.now() - started;
      if (page.done === true || page.value.length !== ownProcesses)
        throw new Error("the raw query missed rows");
      return milliseconds;
    };
    const list = async (services: Services) => {
      useServices(services);
      const started = performance.now();
      const response = await callHandler(listProcesses, { path: "/api/processes", token: alice });
      const milliseconds = performance.now() - started;
      if (response.status !== 200 || response.body.value.length !== ownProcesses) {
        throw new Error(`list answered ${response.status} with ${response.body?.value?.length} processes`);
      }
      return milliseconds;
    };
    for (const set of [small, large]) for (let index = 0; index < 10; index++) await list(set.services);
    const times = {
      small: [] as number[],
      large: [] as number[],
      rawSmall: [] as number[],
      rawLarge: [] as number[],
    };
    for (let round = 0; round < rounds; round++) {
      for (let index = 0; index < callsPerRound; index++) {
        times.small.push(await list(small.services));
        times.rawSmall.push(await rawQuery(small.services));
      }
      for (let index = 0; index < callsPerRound; index++) {
        times.large.push(await list(large.services));
        times.rawLarge.push(await rawQuery(large.services));
      }
    }
    counter.reset();
    await list(large.services);
    const roundTrips = counter.count;
    const smallMedian = median(times.small);
    const largeMedian = median(times.large);
    const ratio = largeMedian / smallMedian;
    const rawSmall = median(times.rawSmall);
    const rawLarge = median(times.rawLarge);
    const rawRatio = rawLarge / rawSmall;
    // What the app adds on top of its one storage query, with the emulator's share taken out.
    const ownSmall = smallMedian - rawSmall;
    const ownLarge = largeMedian - rawLarge;
    return [
      {
        section: "scale",
        name: `list my ${ownProcesses} processes, ${others.toLocaleString("en")} others in the tables (median)`,
        value: largeMedian,
        unit: "ms",
        baseline: { name: "with 100 others", value: smallMedian, unit: "ms" },
        target: "<= 1.2x",
        met: ratio <= 1.2,
        note: `${ratio.toFixed(2)}x; ${roundTrips} storage request per list; ${others.toLocaleString("en")} rows inserted in ${large.insertSeconds.toFixed(1)} s`,
      },
      {
        section: "scale",
        name: "  raw query of my partition alone (Azurite), 20,000 vs 100 others",
        value: rawLarge,
        unit: "ms",
        baseline: { name: "with 100 others", value: rawSmall, unit: "ms" },
        target: "reported",
        note: `${rawRatio.toFixed(2)}x: Azurite (LokiJS) runs every query's filter over the whole table; Table Storage serves a PartitionKey query from its index`,
      },
      {
        section: "scale",
        name: "  the app's own time on top of that query",
        value: ownLarge,
        unit: "ms",
        baseline: { name: "with 100 others", value: ownSmall, unit: "ms" },
        target: "reported",
        note: `${(ownLarge / ownSmall).toFixed(2)}x: list time minus the raw query, medians`,
      },
    ];
  } finally {
    useServices(undefined);
    await identity.close();
  }
}
