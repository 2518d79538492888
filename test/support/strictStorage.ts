import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Strict storage: an HTTP proxy on loopback in front of Azurite's Table endpoint that refuses what
 * Azure Table Storage refuses and Azurite lets through, answering as the service does (status,
 * `x-ms-error-code`, the `odata.error` body; inside a batch, a 202 whose change set carries the
 * failing operation's 400 with its index). Every test's connection string points its
 * `TableEndpoint` here, so every client (the app in-process, the end-to-end host, the tests' own
 * clients) is held to the service's limits without any change to production code.
 *
 * It also behaves as Cosmos DB for Table may, so that code relying on Table Storage's habits fails:
 * the entities of each query page come back in reverse order (Cosmos does not sort by
 * PartitionKey/RowKey), and continuation markers come back in Cosmos's shape (a JSON-ish token
 * with `#`, and `NA` for the row), mapped back on the next request: code that parses or
 * shape-checks a continuation token breaks here as it would on Cosmos.
 *
 * Limits and codes: https://learn.microsoft.com/rest/api/storageservices/table-service-error-codes,
 * .../performing-entity-group-transactions, .../understanding-the-table-service-data-model, and
 * Azurite's own `StorageErrorFactory` / `TableBatchSerialization` for the exact body shapes.
 */

export const limits = {
  /** Discrete comparisons in one `$filter` (Table Storage: "more than 15 ... is not supported"). */
  filterComparisons: 15,
  batchOperations: 100,
  batchBytes: 4 * 1024 * 1024,
  /** PartitionKey and RowKey: up to 1 KiB each, counted as UTF-16 like every string property. */
  keyBytes: 1024,
  propertyBytes: 64 * 1024,
  entityBytes: 1024 * 1024,
  properties: 252,
} as const;

/** Where Cosmos DB for Table is stricter: its RowKey (`id`) and its transactional batch payload. */
export const cosmosLimits = {
  rowKeyBytes: 255,
  batchBytes: 2 * 1024 * 1024,
} as const;

/** Characters Table Storage refuses in PartitionKey and RowKey. */
// eslint-disable-next-line no-control-regex
export const forbiddenKeyCharacters = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** The failing operation of a batch. */
  readonly index?: number;
}

export interface StrictTableProxyOptions {
  /** Azurite's Table endpoint origin, e.g. `http://127.0.0.1:10002`. */
  readonly target: string;
  /** Reverse the entities of every query page (Cosmos DB for Table does not sort them). Default true. */
  readonly reorderPages?: boolean;
  /** Hand out Cosmos-shaped continuation markers instead of Azurite's. Default true. */
  readonly cosmosContinuations?: boolean;
  /** Also refuse what only Cosmos DB for Table refuses (a RowKey over 255 bytes, a batch over 2 MiB). Default true. */
  readonly cosmosLimits?: boolean;
  /** Told about every refusal (the global proxy prints them, so a failing test says why). */
  readonly onRefusal?: (refusal: Refusal, method: string, path: string) => void;
}

export interface StrictTableProxy {
  /** `http://127.0.0.1:{port}` */
  readonly origin: string;
  readonly port: number;
  /** Every refusal so far, oldest first. */
  readonly refusals: readonly Refusal[];
  /** Requests passed on to Azurite so far. */
  readonly forwarded: number;
  /** The same connection string with its TableEndpoint moved here. */
  connectionString(azuriteConnectionString: string): string;
  stop(): Promise<void>;
}

/** Prints a refusal on stderr, so that a test failing on a 500 says what storage refused. */
export function printRefusal(refusal: Refusal, method: string, path: string): void {
  process.stderr.write(
    `[strict storage] ${method} ${path} refused: ${refusal.status} ${refusal.code}` +
      `${refusal.index === undefined ? "" : ` (operation ${refusal.index})`}: ${refusal.message}\n`,
  );
}

/** `TableEndpoint=http://host:port/account` → this proxy's origin, the account path kept. */
export function withTableEndpoint(connectionString: string, origin: string): string {
  return connectionString
    .split(";")
    .map((part) => {
      const match = /^TableEndpoint=https?:\/\/[^/]+(\/.*)?$/i.exec(part);
      return match === null ? part : `TableEndpoint=${origin}${match[1] ?? ""}`;
    })
    .join(";");
}

/** The `TableEndpoint`'s origin of a connection string. */
export function tableOrigin(connectionString: string): string {
  const match = /(?:^|;)TableEndpoint=(https?:\/\/[^/;]+)/i.exec(connectionString);
  if (match?.[1] === undefined) throw new Error("The connection string has no TableEndpoint");
  return match[1];
}

export async function startStrictTableProxy(options: StrictTableProxyOptions): Promise<StrictTableProxy> {
  const target = new URL(options.target);
  const reorderPages = options.reorderPages ?? true;
  const cosmosContinuations = options.cosmosContinuations ?? true;
  const rules: Rules = { cosmos: options.cosmosLimits ?? true };
  const refusals: Refusal[] = [];
  let forwarded = 0;
  /** Cosmos-shaped marker → the marker pair Azurite gave. */
  const markers = new Map<string, { partitionKey: string; rowKey: string | undefined }>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? "GET";
      const url = new URL(req.url ?? "/", "http://proxy");

      const refuse = (refusal: Refusal, inBatch = false): void => {
        refusals.push(refusal);
        options.onRefusal?.(refusal, method, url.pathname);
        const answer = inBatch ? batchErrorResponse(refusal) : plainErrorResponse(refusal);
        const version = req.headers["x-ms-version"];
        res.writeHead(answer.status, {
          ...answer.headers,
          "x-ms-version": typeof version === "string" ? version : "2019-02-02",
          "content-length": String(Buffer.byteLength(answer.body)),
        });
        res.end(answer.body);
      };

      const refusal = checkRequest(rules, method, url, req.headers, body);
      if (refusal !== undefined) {
        refuse(refusal, refusal.index !== undefined);
        return;
      }

      if (cosmosContinuations && url.searchParams.has("NextPartitionKey")) {
        const marker = markers.get(url.searchParams.get("NextPartitionKey") ?? "");
        if (marker === undefined) {
          refuse({ status: 400, code: "InvalidInput", message: "One of the request inputs is not valid." });
          return;
        }
        url.searchParams.set("NextPartitionKey", marker.partitionKey);
        if (marker.rowKey === undefined) url.searchParams.delete("NextRowKey");
        else url.searchParams.set("NextRowKey", marker.rowKey);
      }

      forwarded++;
      const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method,
          path: `${url.pathname}${url.search}`,
          headers,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => parts.push(chunk));
          answer.on("end", () => {
            let payload: Buffer = Buffer.concat(parts);
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(answer.headers)) {
              if (value === undefined || name === "content-length" || name === "transfer-encoding") continue;
              out[name] = value;
            }
            const isQuery = method === "GET" && isEntityQuery(url.pathname);
            if (isQuery && reorderPages && answer.statusCode === 200) payload = reversedPage(payload);
            if (isQuery && cosmosContinuations) {
              const partitionKey = answer.headers["x-ms-continuation-nextpartitionkey"];
              const rowKey = answer.headers["x-ms-continuation-nextrowkey"];
              if (typeof partitionKey === "string") {
                const token = cosmosToken();
                markers.set(token, { partitionKey, rowKey: typeof rowKey === "string" ? rowKey : undefined });
                out["x-ms-continuation-nextpartitionkey"] = token;
                out["x-ms-continuation-nextrowkey"] = "NA";
              }
            }
            out["content-length"] = String(payload.length);
            res.writeHead(answer.statusCode ?? 502, out);
            res.end(payload);
          });
        },
      );
      upstream.on("error", (error) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`strict storage proxy: ${error.message}`);
      });
      upstream.end(body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  // A proxy left listening never keeps a test process alive.
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    refusals,
    get forwarded() {
      return forwarded;
    },
    connectionString: (azuriteConnectionString) => withTableEndpoint(azuriteConnectionString, origin),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

// ---- what the service refuses ----------------------------------------------------------------

function checkRequest(
  rules: Rules,
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Refusal | undefined {
  const path = url.pathname;
  if (method === "POST" && path.endsWith("/$batch")) return checkBatch(rules, headers, body);

  const filter = url.searchParams.get("$filter");
  if (filter !== null) {
    const refusal = checkFilter(filter);
    if (refusal !== undefined) return refusal;
  }
  const keys = keysInPath(path);
  if (keys !== undefined) {
    const refusal = checkKey(keys.partitionKey) ?? checkRowKey(rules, keys.rowKey);
    if (refusal !== undefined) return refusal;
  }
  if (["POST", "PUT", "MERGE", "PATCH"].includes(method) && body.length > 0 && !isTablesPath(path)) {
    return checkEntity(rules, parseJson(body));
  }
  return undefined;
}

/** Counts `eq ne gt ge lt le` outside string literals. */
export function countComparisons(filter: string): number {
  let count = 0;
  for (const match of filter.matchAll(/'(?:[^']|'')*'|\b(eq|ne|gt|ge|lt|le)\b/gi)) {
    if (match[1] !== undefined) count++;
  }
  return count;
}

function checkFilter(filter: string): Refusal | undefined {
  const count = countComparisons(filter);
  if (count <= limits.filterComparisons) return undefined;
  return {
    status: 400,
    code: "InvalidInput",
    message: `One of the request inputs is not valid. (strict storage: ${count} comparisons in one $filter; Table Storage allows ${limits.filterComparisons})`,
  };
}

interface Rules {
  /** Cosmos DB for Table's limits too. */
  readonly cosmos: boolean;
}

function checkRowKey(rules: Rules, key: unknown): Refusal | undefined {
  const refusal = checkKey(key);
  if (refusal !== undefined || !rules.cosmos || typeof key !== "string") return refusal;
  if (Buffer.byteLength(key, "utf8") <= cosmosLimits.rowKeyBytes) return undefined;
  return {
    status: 400,
    code: "KeyValueTooLarge",
    message: `The RowKey exceeds Cosmos DB for Table's ${cosmosLimits.rowKeyBytes} bytes.`,
  };
}

function checkKey(key: unknown): Refusal | undefined {
  if (typeof key !== "string") return undefined;
  if (forbiddenKeyCharacters.test(key)) {
    return { status: 400, code: "OutOfRangeInput", message: "One of the request inputs is out of range." };
  }
  if (key.length * 2 > limits.keyBytes) {
    return {
      status: 400,
      code: "KeyValueTooLarge",
      message: "The key value exceeds the maximum allowed size (1 KiB).",
    };
  }
  return undefined;
}

/** The entity's size as the data model documents it; undefined when the body is no entity. */
function checkEntity(rules: Rules, entity: unknown): Refusal | undefined {
  if (typeof entity !== "object" || entity === null || Array.isArray(entity)) return undefined;
  const record = entity as Record<string, unknown>;
  const keyRefusal = checkKey(record.PartitionKey) ?? checkRowKey(rules, record.RowKey);
  if (keyRefusal !== undefined) return keyRefusal;
  const keyLength = [record.PartitionKey, record.RowKey].reduce<number>(
    (sum, key) => sum + (typeof key === "string" ? key.length : 0),
    0,
  );
  let size = 4 + keyLength * 2;
  let properties = 0;
  for (const [name, value] of Object.entries(record)) {
    if (name === "PartitionKey" || name === "RowKey" || name === "Timestamp" || name.includes("@odata."))
      continue;
    properties++;
    const type = record[`${name}@odata.type`];
    let valueBytes: number;
    if (type === "Edm.Binary" && typeof value === "string") valueBytes = Buffer.from(value, "base64").length;
    else if (typeof value === "string" && type === undefined) valueBytes = value.length * 2;
    else if (type === "Edm.Guid") valueBytes = 16;
    else if (typeof value === "boolean") valueBytes = 1;
    else valueBytes = 8;
    if (valueBytes > limits.propertyBytes) {
      return {
        status: 400,
        code: "PropertyValueTooLarge",
        message: `The property value exceeds the maximum allowed size (64KB). If the property value is a string, it is UTF-16 encoded and the maximum number of characters should be 32K or less.`,
      };
    }
    size += 8 + name.length * 2 + (typeof value === "string" ? 4 : 0) + valueBytes;
  }
  if (properties > limits.properties) {
    return {
      status: 400,
      code: "TooManyProperties",
      message: "The entity contains more properties than allowed.",
    };
  }
  if (size > limits.entityBytes) {
    return {
      status: 400,
      code: "EntityTooLarge",
      message: "The entity is larger than the maximum allowed size (1MB).",
    };
  }
  return undefined;
}

interface BatchOperation {
  readonly method: string;
  readonly partitionKey: string | undefined;
  readonly rowKey: string | undefined;
  readonly entity: unknown;
}

function checkBatch(rules: Rules, headers: IncomingHttpHeaders, body: Buffer): Refusal | undefined {
  const maxBytes = rules.cosmos ? cosmosLimits.batchBytes : limits.batchBytes;
  if (body.length > maxBytes || Number(headers["content-length"] ?? 0) > maxBytes) {
    return {
      status: 413,
      code: "RequestBodyTooLarge",
      message: "The request body is too large and exceeds the maximum permissible limit.",
    };
  }
  const operations = batchOperations(body.toString("utf8"));
  if (operations.length > limits.batchOperations) {
    return {
      status: 400,
      code: "InvalidInput",
      message: "The batch request operation exceeds the maximum 100 changes per change set.",
      index: 0,
    };
  }
  const partition = operations[0]?.partitionKey;
  const seen = new Set<string>();
  for (const [index, operation] of operations.entries()) {
    if (operation.partitionKey !== partition) {
      return {
        status: 400,
        code: "CommandsInBatchActorsMustBeInSamePartition",
        message: "All commands in a batch must operate on same entity group.",
        index,
      };
    }
    const rowKey = operation.rowKey ?? "";
    if (seen.has(rowKey)) {
      return {
        status: 400,
        code: "InvalidDuplicateRow",
        message: `A command with RowKey '${rowKey}' is already present in the batch. An entity can appear only once in a batch.`,
        index,
      };
    }
    seen.add(rowKey);
    const refusal =
      checkKey(operation.partitionKey) ??
      checkRowKey(rules, operation.rowKey) ??
      (operation.method === "DELETE" ? undefined : checkEntity(rules, operation.entity));
    if (refusal !== undefined) return { ...refusal, index };
  }
  return undefined;
}

/** The operations of a `$batch` body's change set: method, keys (from the URL, else the body) and entity. */
export function batchOperations(text: string): BatchOperation[] {
  const boundary = /boundary=(changeset_[^\s;"]+)/.exec(text)?.[1];
  if (boundary === undefined) return [];
  const parts = text.split(`--${boundary}`).slice(1);
  const operations: BatchOperation[] = [];
  for (const part of parts) {
    if (part.startsWith("--")) break;
    // The part's MIME headers, then the HTTP request: its request line, headers and body.
    const http = part.split("\r\n\r\n").slice(1).join("\r\n\r\n");
    const [head = "", ...rest] = http.split("\r\n\r\n");
    const requestLine = head.split("\r\n")[0] ?? "";
    const [method = "", address = ""] = requestLine.split(" ");
    const entity = parseJson(Buffer.from(rest.join("\r\n\r\n").trim(), "utf8"));
    const keys = keysInPath(new URL(address, "http://batch").pathname);
    const fromBody = (entity ?? {}) as { PartitionKey?: unknown; RowKey?: unknown };
    operations.push({
      method,
      partitionKey:
        keys?.partitionKey ?? (typeof fromBody.PartitionKey === "string" ? fromBody.PartitionKey : undefined),
      rowKey: keys?.rowKey ?? (typeof fromBody.RowKey === "string" ? fromBody.RowKey : undefined),
      entity,
    });
  }
  return operations;
}

/** `/account/Table(PartitionKey='a',RowKey='b')`, percent-encoded, quotes doubled. */
function keysInPath(path: string): { partitionKey: string; rowKey: string } | undefined {
  const at = path.lastIndexOf("(PartitionKey=");
  if (at < 0) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.slice(at));
  } catch {
    return undefined;
  }
  const match = /^\(PartitionKey='((?:[^']|'')*)',RowKey='((?:[^']|'')*)'\)$/s.exec(decoded);
  if (match === null) return undefined;
  return { partitionKey: match[1]!.replaceAll("''", "'"), rowKey: match[2]!.replaceAll("''", "'") };
}

function isTablesPath(path: string): boolean {
  return /\/Tables(\(|$)/.test(path);
}

/** A query of entities: `/account/Table()` (not the table list, not a point read). */
function isEntityQuery(path: string): boolean {
  return !isTablesPath(path) && path.endsWith("()");
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

function reversedPage(payload: Buffer): Buffer {
  const page = parseJson(payload) as { value?: unknown } | undefined;
  if (page === undefined || !Array.isArray(page.value)) return payload;
  return Buffer.from(JSON.stringify({ ...page, value: [...page.value].reverse() }), "utf8");
}

/** Shaped like Cosmos DB for Table's NextPartitionKey (a JSON token with `#` and `+`), unique per page. */
function cosmosToken(): string {
  const rid = Buffer.from(randomUUID().replaceAll("-", ""), "hex").toString("base64");
  return `{"token":"+RID:~${rid}#RT:1#TRC:2#ISV:2#IEO:65567#QCF:8","range":{"min":"","max":"FF"}}`;
}

// ---- the service's answers -------------------------------------------------------------------

const errorContentType = "application/json;odata=minimalmetadata;streaming=true;charset=utf-8";

function odataError(refusal: Refusal, requestId: string): string {
  const prefix = refusal.index === undefined ? "" : `${refusal.index}:`;
  return JSON.stringify({
    "odata.error": {
      code: refusal.code,
      message: {
        lang: "en-US",
        value: `${prefix}${refusal.message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`,
      },
    },
  });
}

const reasons: Record<number, string> = { 400: "Bad Request", 413: "Request Entity Too Large" };

function plainErrorResponse(refusal: Refusal): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const requestId = randomUUID();
  return {
    status: refusal.status,
    headers: {
      "content-type": errorContentType,
      "x-ms-error-code": refusal.code,
      "x-ms-request-id": requestId,
    },
    body: odataError(refusal, requestId),
  };
}

/** A refused change set: 202 Accepted, the failing operation's answer inside (as Table Storage does). */
function batchErrorResponse(refusal: Refusal): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const requestId = randomUUID();
  const batch = `batchresponse_${randomUUID()}`;
  const changeset = `changesetresponse_${randomUUID()}`;
  const body = [
    `--${batch}`,
    `Content-Type: multipart/mixed; boundary=${changeset}`,
    "",
    `--${changeset}`,
    "Content-Type: application/http",
    "Content-Transfer-Encoding: binary",
    "",
    `HTTP/1.1 ${refusal.status} ${reasons[refusal.status] ?? "Bad Request"}`,
    "X-Content-Type-Options: nosniff",
    "DataServiceVersion: 3.0;",
    `Content-Type: ${errorContentType}`,
    "",
    odataError(refusal, requestId),
    `--${changeset}--`,
    `--${batch}--`,
    "",
  ].join("\r\n");
  return {
    status: 202,
    headers: {
      "content-type": `multipart/mixed; boundary=${batch}`,
      "x-ms-request-id": requestId,
    },
    body,
  };
}
