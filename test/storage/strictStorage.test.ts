import { randomBytes } from "node:crypto";

import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { odata, RestError, TableClient, type TransactionAction } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { inject } from "vitest";

import {
  countComparisons,
  startStrictTableProxy,
  type StrictTableProxy,
  tableOrigin,
} from "../support/strictStorage.js";

/**
 * The strict storage proxy that every test's storage goes through (test/support/globalSetup.ts),
 * exercised through the real @azure/data-tables client: each rule Table Storage enforces and
 * Azurite does not is refused with the service's status, code and body shape, and the limit
 * itself is still accepted. Where Azurite lets the request through, a client straight to Azurite
 * shows it (so the test says why the proxy exists).
 */

const strict = inject("azuriteConnectionString");
const direct = inject("directAzuriteConnectionString");
const tableName = `strict${randomBytes(4).toString("hex")}`;

/** Moves the second operation of the next batch to another partition (the SDK refuses to build one). */
let crossPartition = false;
const moveSecondOperation: PipelinePolicy = {
  name: "moveSecondOperation",
  sendRequest: async (request, next) => {
    if (crossPartition && request.url.endsWith("/$batch") && typeof request.body === "string") {
      // The second operation's keys: in its URL (PartitionKey='same') and in its body.
      for (const [from, to] of [
        ["PartitionKey='same'", "PartitionKey='other'"],
        ['"PartitionKey":"same"', '"PartitionKey":"other"'],
      ] as const) {
        const at = request.body.lastIndexOf(from);
        if (at >= 0)
          request.body = `${request.body.slice(0, at)}${to}${request.body.slice(at + from.length)}`;
      }
    }
    return await next(request);
  },
};

const options = { allowInsecureConnection: true };
const table = TableClient.fromConnectionString(strict, tableName, {
  ...options,
  additionalPolicies: [{ policy: moveSecondOperation, position: "perCall" }],
});
const azurite = TableClient.fromConnectionString(direct, tableName, options);
/** A proxy with Table Storage's limits only (not Cosmos DB for Table's stricter ones), for those limits' edges. */
let tableStorageOnly: StrictTableProxy;
let tableStorage: TableClient;

beforeAll(async () => {
  await table.createTable();
  tableStorageOnly = await startStrictTableProxy({ target: tableOrigin(direct), cosmosLimits: false });
  tableStorage = TableClient.fromConnectionString(
    tableStorageOnly.connectionString(direct),
    tableName,
    options,
  );
});
afterAll(async () => {
  await table.deleteTable();
  await tableStorageOnly.stop();
});

/** The service's error code: the SDK gives it as `code` for a batch, in `details` for the rest. */
function codeOf(error: RestError): string | undefined {
  return error.code ?? (error.details as { errorCode?: string } | undefined)?.errorCode;
}

/** The RestError a call fails with (the call must fail). */
async function refusal(call: () => Promise<unknown>): Promise<RestError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof RestError) return error;
    throw error;
  }
  throw new Error("expected the call to be refused");
}

function comparisons(count: number): string {
  return Array.from({ length: count }, (_, index) => odata`RowKey eq ${`row${index}`}`).join(" or ");
}

async function query(client: TableClient, filter: string): Promise<number> {
  let rows = 0;
  for await (const _ of client.listEntities({ queryOptions: { filter } })) rows++;
  return rows;
}

describe("filters", () => {
  test("15 comparisons in one $filter are accepted, 16 are refused as Table Storage does (400 InvalidInput), though Azurite runs them", async () => {
    expect(countComparisons(comparisons(16))).toBe(16);
    // Comparison words inside string literals do not count.
    expect(countComparisons(odata`RowKey eq ${"a eq b or c lt d"}`)).toBe(1);

    expect(await query(table, comparisons(15))).toBe(0);
    const refused = await refusal(() => query(table, comparisons(16)));
    expect([refused.statusCode, codeOf(refused)]).toEqual([400, "InvalidInput"]);
    expect(refused.response?.headers.get("x-ms-error-code")).toBe("InvalidInput");
    expect(JSON.parse(refused.response?.bodyAsText ?? "{}")).toMatchObject({
      "odata.error": { code: "InvalidInput", message: { lang: "en-US" } },
    });

    expect(await query(azurite, comparisons(16))).toBe(0);
  });
});

describe("batches", () => {
  const rows = (count: number, extra: Record<string, unknown> = {}): TransactionAction[] =>
    Array.from({ length: count }, (_, index) => [
      "upsert",
      { partitionKey: "batch", rowKey: `row${index}`, ...extra },
    ]);

  test("100 operations are accepted, 101 refused: 400 InvalidInput inside the change set, operation 0", async () => {
    expect((await table.submitTransaction(rows(100))).status).toBe(202);
    const refused = await refusal(() => table.submitTransaction(rows(101)));
    expect([refused.statusCode, codeOf(refused)]).toEqual([400, "InvalidInput"]);
    expect(refused.message).toMatch(
      /^0:The batch request operation exceeds the maximum 100 changes per change set\./,
    );
  });

  // 30,000 three-byte characters: 90 kB on the wire, 60 kB as UTF-16 (under the 64 KiB property limit).
  const text = "€".repeat(30_000);

  test("a batch over 4 MiB is refused whole by Table Storage: 413 RequestBodyTooLarge; just under is accepted", async () => {
    expect((await tableStorage.submitTransaction(rows(40, { text }))).status).toBe(202);
    const refused = await refusal(() => tableStorage.submitTransaction(rows(50, { text })));
    expect([refused.statusCode, codeOf(refused)]).toEqual([413, "RequestBodyTooLarge"]);
  });

  test("a batch over Cosmos DB for Table's 2 MiB is refused whole (413) by the proxy every test uses; just under is accepted", async () => {
    expect((await table.submitTransaction(rows(20, { text }))).status).toBe(202);
    const refused = await refusal(() => table.submitTransaction(rows(25, { text })));
    expect([refused.statusCode, codeOf(refused)]).toEqual([413, "RequestBodyTooLarge"]);
  });

  test("operations in two partitions are refused: 400 CommandsInBatchActorsMustBeInSamePartition at the second", async () => {
    const actions: TransactionAction[] = [
      ["upsert", { partitionKey: "same", rowKey: "first" }],
      ["upsert", { partitionKey: "same", rowKey: "second" }],
    ];
    crossPartition = true;
    try {
      const refused = await refusal(() => table.submitTransaction(actions));
      expect([refused.statusCode, codeOf(refused)]).toEqual([
        400,
        "CommandsInBatchActorsMustBeInSamePartition",
      ]);
      expect(refused.message).toMatch(/^1:/);
    } finally {
      crossPartition = false;
    }
    expect((await table.submitTransaction(actions)).status).toBe(202);
  });

  test("one entity twice in a batch is refused: 400 InvalidDuplicateRow at the second", async () => {
    const refused = await refusal(() =>
      table.submitTransaction([
        ["upsert", { partitionKey: "dup", rowKey: "once", n: 1 }],
        ["delete", { partitionKey: "dup", rowKey: "other" }],
        ["upsert", { partitionKey: "dup", rowKey: "once", n: 2 }],
      ]),
    );
    expect([refused.statusCode, codeOf(refused)]).toEqual([400, "InvalidDuplicateRow"]);
    expect(refused.message).toMatch(/^2:A command with RowKey 'once' is already present in the batch/);
  });

  test("a forbidden key inside a batch is refused at its operation, and nothing of the batch is written", async () => {
    const refused = await refusal(() =>
      table.submitTransaction([
        ["create", { partitionKey: "keys", rowKey: "fine" }],
        ["create", { partitionKey: "keys", rowKey: "not/fine" }],
      ]),
    );
    expect([refused.statusCode, codeOf(refused)]).toEqual([400, "OutOfRangeInput"]);
    expect(refused.message).toMatch(/^1:/);
    const written = await refusal(() => table.getEntity("keys", "fine"));
    expect(written.statusCode).toBe(404);
  });
});

describe("keys", () => {
  const forbidden = ["a/b", "a\\b", "a#b", "a?b", "a\u0000b", "a\u001fb", "a\u007fb", "a\u0085b", "a\u009fb"];

  test.each(forbidden.map((key) => [JSON.stringify(key), key]))(
    "a key with %s is refused (400 OutOfRangeInput) as PartitionKey and as RowKey, on insert and on upsert",
    async (_, key) => {
      for (const write of [
        () => table.createEntity({ partitionKey: key, rowKey: "r" }),
        () => table.createEntity({ partitionKey: "p", rowKey: key }),
        () => table.upsertEntity({ partitionKey: "p", rowKey: key }, "Replace"),
      ]) {
        const refused = await refusal(write);
        expect([refused.statusCode, codeOf(refused)]).toEqual([400, "OutOfRangeInput"]);
      }
    },
  );

  test("a key of 1 KiB (512 UTF-16 characters) is accepted by Table Storage, one character more is refused (400 KeyValueTooLarge)", async () => {
    await tableStorage.upsertEntity({ partitionKey: "long", rowKey: "k".repeat(512) });
    await tableStorage.upsertEntity({ partitionKey: "p".repeat(512), rowKey: "k" });
    for (const entity of [
      { partitionKey: "long", rowKey: "k".repeat(513) },
      { partitionKey: "p".repeat(513), rowKey: "k" },
    ]) {
      const refused = await refusal(() => tableStorage.upsertEntity(entity));
      expect([refused.statusCode, codeOf(refused)]).toEqual([400, "KeyValueTooLarge"]);
    }
  });

  test("a RowKey of 255 bytes is accepted by the proxy every test uses, 256 bytes are refused (Cosmos DB for Table's limit), counted in UTF-8", async () => {
    await table.upsertEntity({ partitionKey: "cosmos", rowKey: "k".repeat(255) });
    await table.upsertEntity({ partitionKey: "cosmos", rowKey: "€".repeat(85) });
    for (const rowKey of ["k".repeat(256), "€".repeat(86)]) {
      const refused = await refusal(() => table.upsertEntity({ partitionKey: "cosmos", rowKey }));
      expect([refused.statusCode, codeOf(refused)]).toEqual([400, "KeyValueTooLarge"]);
    }
  });
});

describe("sizes", () => {
  test("a string property of 32K UTF-16 characters (64 KiB) is accepted, one character more is refused (400 PropertyValueTooLarge)", async () => {
    await table.upsertEntity({ partitionKey: "size", rowKey: "string", text: "x".repeat(32_768) });
    const refused = await refusal(() =>
      table.upsertEntity({ partitionKey: "size", rowKey: "string", text: "x".repeat(32_769) }),
    );
    expect([refused.statusCode, codeOf(refused)]).toEqual([400, "PropertyValueTooLarge"]);
  });

  test("a binary property of 64 KiB is accepted, one byte more is refused (400 PropertyValueTooLarge)", async () => {
    await table.upsertEntity({ partitionKey: "size", rowKey: "binary", data: new Uint8Array(65_536) });
    const refused = await refusal(() =>
      table.upsertEntity({ partitionKey: "size", rowKey: "binary", data: new Uint8Array(65_537) }),
    );
    expect([refused.statusCode, codeOf(refused)]).toEqual([400, "PropertyValueTooLarge"]);
  });

  test("an entity over 1 MiB as Table Storage counts it (UTF-16) is refused (400 EntityTooLarge), though Azurite, counting UTF-8, stores it", async () => {
    const properties = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`p${index}`, "x".repeat(32_000)]));
    // 16 × 64,000 bytes: under 1 MiB.
    await table.upsertEntity({ partitionKey: "size", rowKey: "entity", ...properties(16) });
    const refused = await refusal(() =>
      table.upsertEntity({ partitionKey: "size", rowKey: "entity", ...properties(17) }),
    );
    expect([refused.statusCode, codeOf(refused)]).toEqual([400, "EntityTooLarge"]);
    await azurite.upsertEntity({ partitionKey: "size", rowKey: "entity", ...properties(17) });
  });
});

describe("behaving as Cosmos DB for Table may", () => {
  test("a page comes back in reverse key order (Cosmos does not sort), the same rows Azurite returns sorted", async () => {
    const keys = ["a", "b", "c", "d"];
    await table.submitTransaction(keys.map((rowKey) => ["upsert", { partitionKey: "order", rowKey }]));
    const filter = odata`PartitionKey eq ${"order"}`;
    const read = async (client: TableClient) => {
      const seen: string[] = [];
      for await (const entity of client.listEntities({ queryOptions: { filter } })) seen.push(entity.rowKey!);
      return seen;
    };
    expect(await read(azurite)).toEqual(keys);
    expect(await read(table)).toEqual([...keys].reverse());
  });

  test("continuation markers are Cosmos-shaped (not keys), and paging through them reaches every row once", async () => {
    await table.submitTransaction(
      Array.from({ length: 5 }, (_, index): TransactionAction => [
        "upsert",
        { partitionKey: "pages", rowKey: `r${index}` },
      ]),
    );
    const pages = table
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${"pages"}` } })
      .byPage({ maxPageSize: 2 });
    const seen: string[] = [];
    const tokens: string[] = [];
    for await (const page of pages) {
      seen.push(...page.map((entity) => entity.rowKey!));
      if (page.continuationToken !== undefined) tokens.push(page.continuationToken);
    }
    expect(seen.sort()).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    expect(tokens).toHaveLength(2);
    for (const token of tokens) {
      const { nextPartitionKey, nextRowKey } = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
      expect(nextPartitionKey).toMatch(/^\{"token":"\+RID:~.*#RT:1#/);
      expect(nextRowKey).toBe("NA");
    }
  });
});
