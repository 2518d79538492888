import { fileURLToPath } from "node:url";

import { expect, test } from "vitest";

import { startFailureLine, startLocalHost } from "../../local/start.js";

// A file of its own: the real app registers its functions once per process.
test("a bad setting in the app stops the start with one line that names it", async () => {
  const previous = process.env.AUTH_CLIENT_ID;
  process.env.AUTH_CLIENT_ID = "not-a-guid";
  try {
    const attempt = startLocalHost({
      entry: fileURLToPath(new URL("../../functions/index.ts", import.meta.url)),
      port: 0,
      azurite: {},
      log: () => undefined,
    });
    const error: unknown = await attempt.catch((caught: unknown) => caught);
    expect(startFailureLine(error, 7071)).toMatch(/^Invalid configuration: AUTH_CLIENT_ID: must be a GUID/);
  } finally {
    if (previous === undefined) delete process.env.AUTH_CLIENT_ID;
    else process.env.AUTH_CLIENT_ID = previous;
  }
});
