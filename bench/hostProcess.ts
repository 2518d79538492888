import { fileURLToPath, pathToFileURL } from "node:url";

import type { HostMessage, HostStartRequest } from "./host.js";

/**
 * The local host in a process of its own, as `npm start` runs it, so that its memory is its own
 * and the load generator never shares its event loop. It answers the bench over IPC (its RSS,
 * stop), never through a route of the app.
 */

// The built host (npm run build), not a bundled copy: start.js runs its CLI when it is the entry script.
const startScript = pathToFileURL(fileURLToPath(new URL("../local/start.js", import.meta.url))).href;
const { startLocalHost } = (await import(startScript)) as typeof import("../local/start.js");

const request = JSON.parse(process.argv[2] ?? "{}") as HostStartRequest;
const errors: string[] = [];
const local = await startLocalHost({
  port: request.port,
  azurite: { connectionString: request.connectionString },
  settings: request.settings,
  readSettingsFile: false,
  // Printing a line per invocation would cost more than the work measured: keep all but successes, in memory.
  log: (line) => {
    if (!line.includes("(Succeeded") && errors.length < 50) errors.push(line);
  },
});

const send = (message: HostMessage) => process.send?.(message);
send({ type: "ready", url: local.url, port: local.port });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await local.stop();
  process.exit(0);
};
process.on("message", (message: { type: string }) => {
  if (message.type === "rss") {
    // A full collection first (the bench starts the host with --expose-gc), at every snapshot alike:
    // what is compared is what stays, not when V8 last happened to collect.
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: "rss", rss, heapAfterGc: heapUsed, errors });
  }
  if (message.type === "stop") void stop();
});
// The bench went away: nothing may be left running.
process.on("disconnect", () => void stop());
