import { execFile } from "node:child_process";
import { dirname } from "node:path";
import { promisify } from "node:util";

import { afterAll, beforeAll, expect, test } from "vitest";

import { startupBanner } from "../../local/start.js";
import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import { type E2eHost, entryImports, startE2eHost } from "../support/e2e.js";

/**
 * The console's copy-paste walk-through, proven: the curl commands `npm start` prints are taken
 * from the banner as printed and run by bash against a host on a free port.
 */

const run = promisify(execFile);
const bob = readDevDirectory().users.find((user) => user.alias === "bob")!;
const invitationSenderInApp = entryImports("invitations");
let e2e: E2eHost;

beforeAll(async () => {
  e2e = await startE2eHost();
});

afterAll(async () => {
  await e2e.stop();
});

/** The lines under "Try it (copy and paste):", as a reader would copy them. */
function walkThrough(banner: string): string[] {
  const lines = banner.split("\n");
  const start = lines.indexOf("Try it (copy and paste):");
  expect(start, "the banner has a walk-through").toBeGreaterThan(0);
  const end = lines.indexOf("", start);
  return lines.slice(start + 1, end === -1 ? undefined : end).map((line) => line.replace(/^ {2}/, ""));
}

test("the banner's walk-through names the real port and nothing else", () => {
  const commands = walkThrough(startupBanner(e2e.local, 1));
  expect(commands.length).toBeGreaterThanOrEqual(4);
  for (const command of commands) {
    for (const [, port] of command.matchAll(/localhost:(\d+)/g)) expect(Number(port)).toBe(e2e.local.port);
  }
});

test("pasted into bash, the walk-through gets a token, creates a process, shares it and shows the access list and the mailbox", async () => {
  const commands = walkThrough(startupBanner(e2e.local, 1));
  // Each pasted line runs as written; a marker after each one tells whose output is whose.
  const script = [
    "set -euo pipefail",
    ...commands.flatMap((command, index) => [command, `printf '\\n@@step ${index}@@\\n'`]),
  ].join("\n");
  const { stdout } = await run("bash", ["-c", script], {
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/tmp" },
    timeout: 60_000,
  });
  const outputs = stdout
    .split(/\n@@step \d+@@\n/)
    .slice(0, commands.length)
    .map((output) => output.trim());
  const printed = outputs.filter((output) => output !== "").map((output) => JSON.parse(output) as unknown);

  // Getting the token and creating the process print nothing; the share, the list and the mailbox print JSON.
  expect(printed).toHaveLength(3);
  const [share, access, mailbox] = printed as [
    { value: { status: string; principalId: string }[] },
    { value: { principalId: string; role: string }[] },
    { value: { to: unknown; subject: string; plainText: string }[] },
  ];
  expect(share.value).toEqual([expect.objectContaining({ status: "granted", principalId: bob.id })]);
  expect(access.value).toContainEqual(expect.objectContaining({ principalId: bob.id, role: "viewer" }));

  const processes = await e2e.call<{ value: { id: string; name: string }[] }>("/api/processes", {
    as: "alice",
  });
  const created = processes.body.value.find((process) => process.name === "Order to cash");
  expect(created, "the walk-through's process is alice's").toBeDefined();

  expect(Array.isArray(mailbox.value)).toBe(true);
  if (invitationSenderInApp) {
    expect(mailbox.value).toContainEqual(
      expect.objectContaining({
        subject: expect.stringContaining("Order to cash") as unknown,
        plainText: expect.stringContaining(`/processes/${created?.id ?? "?"}/analytics`) as unknown,
      }),
    );
    expect(JSON.stringify(mailbox.value[0]?.to)).toContain(bob.email);
  } else {
    expect(mailbox.value).toEqual([]);
  }
});
