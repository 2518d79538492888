import type { IncomingMessage, ServerResponse } from "node:http";

/** Plain Node HTTP helpers shared by the local host and its stand-ins (identity, mailbox, Graph). */

export class RequestTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes.`);
    this.name = "RequestTooLargeError";
  }
}

/** The whole request body, refused as soon as it (or its declared length) passes `limitBytes`. */
export async function readBody(req: IncomingMessage, limitBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? "0") > limitBytes) throw new RequestTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new RequestTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
    .end(JSON.stringify(body));
}
