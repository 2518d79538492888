import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { connect, createServer } from "node:net";

/**
 * Azurite (Tables and Queues, plus Blob for the Functions host) as a child process on
 * loopback, telemetry off. Used by `npm start` (data on disk) and by the tests (in memory).
 */

/** Azurite's well-known development account (public, documented; not a secret). */
export const devAccountName = "devstoreaccount1";
export const devAccountKey =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuritePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

export interface AzuriteOptions {
  /** Folder for Azurite's data; omit to keep everything in memory. */
  readonly location?: string;
  /** Fixed ports; omit for free ones. */
  readonly ports?: AzuritePorts;
  readonly host?: string;
}

export interface RunningAzurite {
  readonly ports: AzuritePorts;
  readonly connectionString: string;
  /** False when an Azurite already listening on the ports was reused. */
  readonly started: boolean;
  stop(): Promise<void>;
}

export function connectionStringFor(ports: AzuritePorts, host = "127.0.0.1"): string {
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${devAccountName}`,
    `AccountKey=${devAccountKey}`,
    `BlobEndpoint=http://${host}:${ports.blob}/${devAccountName}`,
    `QueueEndpoint=http://${host}:${ports.queue}/${devAccountName}`,
    `TableEndpoint=http://${host}:${ports.table}/${devAccountName}`,
  ].join(";");
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/**
 * A free port held open until released, so that nothing started meanwhile (Azurite picking its
 * own free ports, say) can take it; release it just before listening on it.
 */
export async function reservePort(host = "127.0.0.1"): Promise<{ port: number; release(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("no port");
  return {
    port: address.port,
    release: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

export async function isListening(port: number, host = "127.0.0.1"): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? "127.0.0.1";
  const ports = options.ports ?? {
    blob: await freePort(host),
    queue: await freePort(host),
    table: await freePort(host),
  };
  const connectionString = connectionStringFor(ports, host);

  if (options.ports !== undefined) {
    const listening = await Promise.all(
      [ports.blob, ports.queue, ports.table].map((port) => isListening(port, host)),
    );
    if (listening.every(Boolean)) {
      return { ports, connectionString, started: false, stop: () => Promise.resolve() };
    }
    if (listening.some(Boolean)) {
      const busy = [ports.blob, ports.queue, ports.table].filter((_, index) => listening[index]);
      throw new Error(`Port ${busy.join(", ")} is in use by something that is not a complete Azurite.`);
    }
  }

  const require = createRequire(import.meta.url);
  const script = require.resolve("azurite/dist/src/azurite.js");
  const args = [
    script,
    "--silent",
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--loose",
    "--blobHost",
    host,
    "--queueHost",
    host,
    "--tableHost",
    host,
    "--blobPort",
    String(ports.blob),
    "--queuePort",
    String(ports.queue),
    "--tablePort",
    String(ports.table),
    ...(options.location === undefined ? ["--inMemoryPersistence"] : ["--location", options.location]),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });

  try {
    await waitUntilListening(child, [ports.blob, ports.queue, ports.table], host, () => stderr);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return { ports, connectionString, started: true, stop: () => stopChild(child) };
}

async function waitUntilListening(
  child: ChildProcess,
  ports: readonly number[],
  host: string,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited (${child.exitCode}): ${stderr().trim()}`);
    const ready = await Promise.all(ports.map((port) => isListening(port, host)));
    if (ready.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Azurite did not start listening within 30 s: ${stderr().trim()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
