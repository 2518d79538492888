import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

import { freePort, type RunningAzurite, startAzurite } from "../local/azurite.js";
import { measureColdStart } from "./coldStart.js";
import { type BenchHost, startBenchHost } from "./host.js";
import { measureHttp, seedWorkload } from "./http.js";
import { formatTable, writeResults } from "./report.js";
import { measureRoundTrips } from "./roundTrips.js";
import { measureScale } from "./scale.js";
import { benchDirectory, type Figure, hostSettings, scratchFolder, tablePrefix } from "./setup.js";
import { measureTokens } from "./tokens.js";
import { measureWeb } from "./web.js";

/**
 * `npm run bench`: every figure of issue 8 against a baseline taken in the same run, on an
 * in-memory Azurite of its own and a local host in a child process; the load comes from a second
 * process. Prints the table and writes bench/results/latest.json. Benchmarks, not tests: nothing
 * here fails the run when a target is missed.
 */

const run = promisify(execFile);
const appRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
// "http" covers latency, throughput and the host's memory: one host from its start serves them all.
const sections = ["roundtrips", "tokens", "coldstart", "scale", "http", "invitations", "web"] as const;
type Section = (typeof sections)[number];

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    latency: { type: "string", default: "5" },
    others: { type: "string", default: "20000" },
    only: { type: "string" },
    out: { type: "string", default: join(appRoot, "bench", "results", "latest.json") },
  },
});
const positive = (name: string, text: string) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive number, not "${text}"\n`);
    process.exit(2);
  }
  return value;
};
const options = {
  durationSeconds: positive("duration", values.duration),
  latencySeconds: positive("latency", values.latency),
  others: Math.round(positive("others", values.others)),
};
const only = new Set((values.only ?? sections.join(",")).split(",").map((name) => name.trim()));
for (const name of only) {
  if (!(sections as readonly string[]).includes(name)) {
    process.stderr.write(`--only takes ${sections.join(", ")}; "${name}" is none of them\n`);
    process.exit(2);
  }
}

const figures: Figure[] = [];
const details: Record<string, unknown> = {};
const started = performance.now();
const progress = (line: string) =>
  process.stderr.write(
    `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`,
  );

async function section(name: Section, run: () => Promise<Figure[]>): Promise<void> {
  if (!only.has(name)) return;
  progress(`${name}...`);
  try {
    figures.push(...(await run()));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress(
      `${name} failed: ${error instanceof Error && error.stack !== undefined ? error.stack : message}`,
    );
    figures.push({
      section: name,
      name: "section failed",
      value: Number.NaN,
      unit: "",
      target: "runs",
      met: false,
      note: message,
    });
  }
}

const scratch = await scratchFolder();
const hosts: BenchHost[] = [];
let azurite: RunningAzurite | undefined;
const startHost = async (purpose: string) => {
  const port = await freePort();
  const prefix = tablePrefix(purpose);
  const host = await startBenchHost({
    port,
    connectionString: azurite!.connectionString,
    settings: hostSettings(
      port,
      azurite!.connectionString,
      scratch.directoryFile,
      prefix,
      benchDirectory().tenantId,
    ),
  });
  hosts.push(host);
  return { host, prefix };
};

try {
  azurite = await startAzurite();
  const connectionString = azurite.connectionString;
  await section("roundtrips", () => measureRoundTrips(connectionString));
  await section("tokens", () => measureTokens());
  await section("coldstart", () => measureColdStart(appRoot));
  await section("scale", () => measureScale(connectionString, { others: options.others }));
  await section("http", async () => {
    const { host, prefix } = await startHost("http");
    try {
      const workload = await seedWorkload(host, connectionString, prefix);
      const { figures: httpFigures, results, hostFailures } = await measureHttp(host, workload, options);
      details.http = results;
      details.hostLog = hostFailures;
      return httpFigures;
    } finally {
      await host.stop();
    }
  });
  await section("invitations", async () => {
    const script = join(appRoot, "dist", "bench", "invitations.js");
    if (!existsSync(join(appRoot, "bench", "invitations.ts")) || !existsSync(script)) {
      return [
        {
          section: "invitations",
          name: "shares to mails per second; end-to-end delay of one",
          value: Number.NaN,
          unit: "",
          target: "reported",
          note: "missing: bench/invitations.ts (the invitation sender's own bench) is not there yet",
        },
      ];
    }
    // The invitation sender's own bench: a script with its own Azurite and mailbox, printing JSON.
    const { stdout } = await run(process.execPath, [script], { timeout: 120_000, maxBuffer: 1 << 20 });
    const start = stdout.search(/^\{/m);
    const figures = JSON.parse(stdout.slice(start)) as {
      endToEndDelayMs: { median: number; max: number };
      throughput: { emails: number; seconds: number; emailsPerSecond: number };
    };
    return [
      {
        section: "invitations",
        name: "shares to mails in the dev mailbox",
        value: figures.throughput.emailsPerSecond,
        unit: "mails/s",
        target: "reported",
        note: `${figures.throughput.emails} mails in ${figures.throughput.seconds} s (bench/invitations.ts)`,
      },
      {
        section: "invitations",
        name: "end-to-end delay of one invitation (median)",
        value: figures.endToEndDelayMs.median,
        unit: "ms",
        target: "reported",
        note: `max ${figures.endToEndDelayMs.max} ms; share to mail in the mailbox, queue polled every 100 ms`,
      },
    ];
  });
  await section("web", () => measureWeb(appRoot));
} finally {
  for (const host of hosts) await host.stop().catch(() => undefined);
  await azurite?.stop();
  await scratch.remove();
}

const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `\n${formatTable(figures)}\n\nWhole bench: ${seconds.toFixed(0)} s on ${cpus().length} cores, Node ${process.version}.\n`,
);
await writeResults(values.out, {
  finishedAt: new Date().toISOString(),
  seconds,
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, platform: process.platform },
  options,
  figures: figures.map((figure) => ({
    ...figure,
    value: Number.isFinite(figure.value) ? figure.value : null,
  })),
  details,
});
process.stdout.write(`Figures written to ${values.out}\n`);
