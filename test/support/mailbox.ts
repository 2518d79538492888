import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { DevMailbox, type DevMailboxOptions } from "../../local/mailbox.js";

export interface TestMailbox {
  readonly mailbox: DevMailbox;
  /** `endpoint=http://127.0.0.1:{port}/;accesskey=...`, as EMAIL_CONNECTION_STRING. */
  readonly connectionString: string;
  /** `http://127.0.0.1:{port}`, for the mailbox's own routes. */
  readonly origin: string;
  close(): Promise<void>;
}

/** A DevMailbox behind a real HTTP server on a free loopback port, with a fresh random access key. */
export async function startTestMailbox(options: DevMailboxOptions = {}): Promise<TestMailbox> {
  const accessKey = options.accessKey ?? randomBytes(32).toString("base64");
  const mailbox = new DevMailbox({ ...options, accessKey });
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    mailbox.handle(req, res, pathname).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      (error: unknown) => {
        res.writeHead(500).end(String(error));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    mailbox,
    connectionString: mailbox.connectionStringFor(origin, accessKey),
    origin,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    },
  };
}
