import { TableClient } from "@azure/data-tables";
import { expect, inject, test } from "vitest";

test("the run's Azurite answers table calls", async () => {
  const client = TableClient.fromConnectionString(inject("azuriteConnectionString"), "smoke", {
    allowInsecureConnection: true,
  });
  await client.createTable();
  await client.upsertEntity({ partitionKey: "p", rowKey: "r", value: 1 });
  expect((await client.getEntity<{ value: number }>("p", "r")).value).toBe(1);
});
