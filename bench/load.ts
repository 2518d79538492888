import { TableClient } from "@azure/data-tables";
import autocannon from "autocannon";

import { childArgument, type LoadResult, type LoadSpec, summarize } from "./measure.js";

/**
 * The load generator, run as a second process so that it never shares an event loop with what it
 * measures. `http`: autocannon against the local host. `raw`: the same loop shape (N requests in
 * flight, each awaited before the next) around a bare `getEntity`: the baseline.
 * Bounded by a duration or a request count, whichever the spec gives; the parent also kills it.
 */

async function runHttp(spec: Extract<LoadSpec, { kind: "http" }>): Promise<LoadResult> {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  // One shared rotation across connections, so that 16 connections never start on the same process.
  const pick = () => {
    const request = spec.requests[next % spec.requests.length]!;
    next += 1;
    return request;
  };
  const started = performance.now();
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    timeout: 10,
    ...(spec.amount === undefined ? { duration: spec.durationSeconds ?? 10 } : { amount: spec.amount }),
    requests: [
      {
        setupRequest: (request: any) => {
          const chosen = pick();
          return {
            ...request,
            method: chosen.method,
            path: chosen.path,
            headers: { ...chosen.headers },
            ...(chosen.body === undefined ? {} : { body: chosen.body }),
          };
        },
      },
    ],
  });
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    times.push(responseTime);
    statuses[String(statusCode)] = (statuses[String(statusCode)] ?? 0) + 1;
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  return summarize(times, seconds, {
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statuses,
  });
}

async function runRaw(spec: Extract<LoadSpec, { kind: "raw" }>): Promise<LoadResult> {
  const client = TableClient.fromConnectionString(spec.connectionString, spec.table, {
    allowInsecureConnection: true,
  });
  const times: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + (spec.durationSeconds ?? 10) * 1000;
  const more = () => (spec.amount === undefined ? performance.now() < deadline : issued < spec.amount);
  const worker = async () => {
    while (more()) {
      issued += 1;
      const begin = performance.now();
      try {
        await client.getEntity(spec.partitionKey, spec.rowKey);
        times.push(performance.now() - begin);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  return summarize(times, seconds, { errors, timeouts: 0, non2xx: 0, statuses: { "200": times.length } });
}

const spec = await childArgument<LoadSpec>();
const result = spec.kind === "http" ? await runHttp(spec) : await runRaw(spec);
process.send?.(result, () => {
  process.disconnect();
});
