import { startLocalHost } from "../../local/start.js";

/**
 * The local host as its own process, so that a test can kill it with SIGKILL: started on the
 * port, storage and settings the parent gives in CRASH_HOST (JSON), it prints `ready <url>`.
 */
const options = JSON.parse(process.env.CRASH_HOST ?? "{}") as {
  appRoot: string;
  entry: string;
  port: number;
  storage: string;
  settings: Record<string, string>;
};
const host = await startLocalHost({
  appRoot: options.appRoot,
  entry: options.entry,
  port: options.port,
  azurite: { connectionString: options.storage },
  settings: options.settings,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`ready ${host.url}\n`);
