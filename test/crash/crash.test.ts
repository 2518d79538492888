import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { build } from "esbuild";
import { afterAll, beforeAll, expect, test } from "vitest";

import { listAccess } from "../../functions/access.js";
import { getProcess, listProcesses } from "../../functions/processes.js";
import { freePort, type RunningAzurite, startAzurite } from "../../local/azurite.js";
import { KNOWN_FINDINGS } from "../model/knownFindings.js";
import { MovableClock, startTestApp, type TestApp, users } from "../support/app.js";
import { eventually, repoRoot } from "../support/e2e.js";
import { startTestMailbox, type TestMailbox } from "../support/mailbox.js";
import { runRepairTimers } from "../support/repair.js";

/**
 * Crashes through the local host: bursts of concurrent shares, role changes, revokes, renames,
 * deletes and creates against the host running as its own process, killed with SIGKILL at a
 * random moment (Azurite and the mailbox keep running), restarted on the same storage. Then,
 * past the repair bound (the repair paths run with the clock moved on), every user's list agrees
 * with every access list and with what each user may open, and no invitation is lost or sent
 * twice. CRASH_SEED replays a run (the seed is printed).
 */

const seed = Number(process.env.CRASH_SEED ?? 11);
const rounds = Number(process.env.CRASH_ROUNDS ?? 3);
const aliases = ["alice", "bob", "carol", "dave", "erin", "frank"] as const;
const recipients = ["bob", "carol", "dave", "erin", "frank"] as const;

let azurite: RunningAzurite;
let mailbox: TestMailbox;
let built: { host: string; app: string };
let child: ChildProcess | undefined;
let output = "";

beforeAll(async () => {
  azurite = await startAzurite();
  mailbox = await startTestMailbox();
  // The host and the app as JavaScript, so that the host runs as a process of its own (packages stay external).
  const dir = join(repoRoot, "dist", "crash-test");
  mkdirSync(dir, { recursive: true });
  built = { host: join(dir, "host.mjs"), app: join(dir, "app.mjs") };
  const common = {
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  } as const;
  await build({
    ...common,
    entryPoints: [join(repoRoot, "test", "crash", "hostProcess.ts")],
    outfile: built.host,
  });
  await build({ ...common, entryPoints: [join(repoRoot, "functions", "index.ts")], outfile: built.app });
}, 120_000);

afterAll(async () => {
  child?.kill("SIGKILL");
  await mailbox.close();
  await azurite.stop();
});

/** Starts the host process on `port` over the run's storage; resolves with its URL once it serves. */
async function startHost(port: number, settings: Record<string, string>): Promise<string> {
  // Imported from -e, not run as the script: local/start.ts runs its own main when it is argv[1].
  const started = spawn(
    process.execPath,
    ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(built.host).href)});`],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        CRASH_HOST: JSON.stringify({
          appRoot: repoRoot,
          entry: built.app,
          port,
          storage: azurite.connectionString,
          settings,
        }),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child = started;
  started.stderr.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  return await new Promise<string>((resolve, reject) => {
    let seen = "";
    started.stdout.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const ready = /ready (\S+)/.exec(seen);
      if (ready !== null) resolve(ready[1]!);
    });
    started.once("exit", (code) => {
      reject(new Error(`the host exited (${code}) before it served:\n${output}`));
    });
  });
}

/** A small seeded generator (mulberry32): the same seed, the same bursts. */
function random(seedValue: number): () => number {
  let state = seedValue >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Known {
  readonly id: string;
  readonly kind: "taskMining" | "processMining";
}

test(
  `bursts killed with SIGKILL at random moments leave lists and access lists agreeing, and every invitation sent once (seed ${seed})`,
  { timeout: 300_000 },
  async () => {
    console.log(`crash test seed ${seed} (CRASH_SEED=${seed} replays it)`);
    const next = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const port = await freePort();
    const settings = {
      STORAGE_TABLE_PREFIX: `c${randomBytes(5).toString("hex")}`,
      EMAIL_CONNECTION_STRING: mailbox.connectionString,
    };
    let url = await startHost(port, settings);
    let tokens = new Map<string, string>();
    const token = async (user: string): Promise<string> => {
      const cached = tokens.get(user);
      if (cached !== undefined) return cached;
      const response = await fetch(`${url}/dev/identity/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user }),
      });
      const minted = ((await response.json()) as { access_token: string }).access_token;
      tokens.set(user, minted);
      return minted;
    };
    const call = async (as: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${await token(as)}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
    };

    const known: Known[] = [];
    /** How many requests might have sent each (recipient, process) an invitation: mails beyond it were sent twice. */
    const mayInvite = new Map<string, number>();
    const create = async (as: string) => {
      const kind = pick(["taskMining", "processMining"] as const);
      const created = await call(as, "POST", "/api/processes", { kind, name: `Process ${known.length}` });
      if (created.status === 201) known.push({ id: created.body.id as string, kind });
    };
    for (let index = 0; index < 4; index++) await create("alice");

    const operation = async (): Promise<unknown> => {
      const process = pick(known);
      const roles = process.kind === "taskMining" ? ["coOwner", "contributor"] : ["coOwner", "viewer"];
      const who = pick(recipients);
      const path = `/api/processes/${process.id}`;
      const choice = next();
      if (choice < 0.4) {
        const to = [...new Set([pick(recipients), pick(recipients)])];
        const sendInvitation = next() < 0.7;
        if (sendInvitation)
          for (const each of to)
            mayInvite.set(`${each} ${process.id}`, (mayInvite.get(`${each} ${process.id}`) ?? 0) + 1);
        return await call("alice", "POST", `${path}/access`, {
          role: pick(roles),
          recipients: to.map((each) => ({ id: users[each].id })),
          sendInvitation,
        });
      }
      if (choice < 0.6) {
        mayInvite.set(`${who} ${process.id}`, (mayInvite.get(`${who} ${process.id}`) ?? 0) + 1);
        return await call("alice", "PUT", `${path}/access/${users[who].id}`, { role: pick(roles) });
      }
      if (choice < 0.8) return await call("alice", "DELETE", `${path}/access/${users[who].id}`);
      if (choice < 0.9)
        return await call("alice", "PATCH", path, { name: `Renamed ${Math.floor(next() * 1000)}` });
      if (choice < 0.95) return await call("alice", "DELETE", path);
      await create(pick(aliases));
      return undefined;
    };

    for (let round = 0; round < rounds; round++) {
      const burst = Array.from({ length: 24 }, () => operation().catch(() => undefined));
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(next() * 600)));
      child?.kill("SIGKILL");
      await Promise.all(burst);
      url = await startHost(port, settings);
      tokens = new Map();
    }
    // One burst the host lives through: on a loaded machine every killed burst may die before its
    // first commit, and the invitation checks below must still judge something.
    await Promise.all(Array.from({ length: 24 }, () => operation().catch(() => undefined)));

    // Past the repair bound: the repair paths run in an app over the same storage, its clock moved on.
    const clock = new MovableClock();
    const app = await startTestApp({
      settings: { ...settings, Storage: azurite.connectionString },
      services: { clock },
    });
    try {
      clock.advance(3 * 60_000);
      for (const who of aliases) {
        for (const process of known)
          await app.call(getProcess, {
            as: who,
            path: `/api/processes/${process.id}`,
            params: { id: process.id },
          });
        await wholeList(app, who);
      }
      await runRepairTimers(app);
      const disagreements = await listsAgainstAccess(app, known);

      // Past the invitation sweeper's bound (its grace period and a minute): what a crash kept from the queue is handed over.
      clock.advance(4 * 60_000);
      await runRepairTimers(app);
      // Every invitation the access lists show is sent by the host's queue trigger; none stays pending.
      const access = await eventually(
        "every invitation handed over and sent",
        () => accessLists(app, known),
        (lists) =>
          [...lists.values()].every((entries) =>
            entries.every((entry) => entry.invitation.status !== "pending"),
          ),
        60_000,
      ).catch(async (error: unknown) => {
        const pending = [...(await accessLists(app, known))].flatMap(([id, entries]) =>
          entries
            .filter((entry) => entry.invitation.status === "pending")
            .map((entry) => `${entry.email} on ${id}`),
        );
        throw new Error(`invitations still pending (lost): ${pending.join(", ")}\n${output.slice(-3000)}`, {
          cause: error,
        });
      });
      const mail = mailbox.mailbox.list();
      // The bursts did send invitations: the checks below judge something.
      expect(mail.length).toBeGreaterThan(0);
      const lost: string[] = [];
      for (const [processId, entries] of access) {
        for (const entry of entries) {
          if (entry.invitation.status !== "sent") continue;
          const sent = mail.filter(
            (message) =>
              message.to.some((to) => to.address === entry.email) && message.plainText.includes(processId),
          );
          if (sent.length === 0) lost.push(`${entry.email} on ${processId}: status sent, no mail`);
        }
      }
      const twice: string[] = [];
      for (const [key, attempts] of mayInvite) {
        const [alias, processId] = key.split(" ") as [keyof typeof users, string];
        const count = mail.filter(
          (message) =>
            message.to.some((to) => to.address === users[alias].email) &&
            message.plainText.includes(processId),
        ).length;
        if (count > attempts) twice.push(`${alias} on ${processId}: ${count} mails for ${attempts} requests`);
      }
      expect({ lost, twice }).toEqual({ lost: [], twice: [] });
      if (KNOWN_FINDINGS.failedWritesLeaveRows) {
        // Findings 9 and 10: today's code leaves stray rows a crash wrote ahead; reported, not asserted, until the fix.
        if (disagreements.length > 0)
          console.log(
            `known findings 9/10, ${disagreements.length} disagreements:\n${disagreements.join("\n")}`,
          );
      } else {
        expect(disagreements).toEqual([]);
      }
    } finally {
      await app.close();
    }
  },
);

async function wholeList(app: TestApp, who: string): Promise<any[]> {
  const entries: any[] = [];
  for (let path: string | undefined = "/api/processes?top=100"; path !== undefined;) {
    const page: { status: number; body: any } = await app.call(listProcesses, { as: who, path });
    if (page.status !== 200) throw new Error(`${who}'s list answered ${page.status}`);
    entries.push(...(page.body.value as any[]));
    path = page.body.nextLink as string | undefined;
  }
  return entries;
}

interface AccessEntry {
  readonly principalId: string;
  readonly email: string;
  readonly role: string;
  readonly invitation: { readonly status: string };
}

/** Each known process's access list, as its owner (alice, or whoever created it) reads it; deleted ones absent. */
async function accessLists(app: TestApp, known: readonly Known[]): Promise<Map<string, AccessEntry[]>> {
  const lists = new Map<string, AccessEntry[]>();
  for (const process of known) {
    for (const who of aliases) {
      const access = await app.call(listAccess, {
        as: who,
        path: `/api/processes/${process.id}/access`,
        params: { id: process.id },
      });
      if (access.status === 200) {
        lists.set(process.id, access.body.value as AccessEntry[]);
        break;
      }
    }
  }
  return lists;
}

/**
 * What disagrees: a list entry that the process does not back (deleted, another role, another
 * name, a right the user does not have), or a holder in an access list whose own list says otherwise.
 */
async function listsAgainstAccess(app: TestApp, known: readonly Known[]): Promise<string[]> {
  const problems: string[] = [];
  const access = await accessLists(app, known);
  for (const who of aliases) {
    const list = await wholeList(app, who);
    for (const entry of list) {
      const opened = await app.call(getProcess, {
        as: who,
        path: `/api/processes/${entry.id}`,
        params: { id: entry.id },
      });
      if (opened.status === 200) {
        if (opened.body.myRole !== entry.myRole || opened.body.name !== entry.name) {
          problems.push(
            `${who}: list says ${entry.myRole} "${entry.name}", the process ${opened.body.myRole} "${opened.body.name}" (${entry.id})`,
          );
        }
      } else if (!(
        opened.status === 403 &&
        opened.body.code === "access_revoked" &&
        entry.accessRevoked === true
      )) {
        problems.push(
          `${who}: listed as ${entry.myRole}, opening answers ${opened.status} ${opened.body?.code} (${entry.id})`,
        );
      }
    }
    for (const [processId, entries] of access) {
      const holder = entries.find((each) => each.principalId === users[who].id);
      if (holder === undefined) continue;
      const listed = list.find((entry) => entry.id === processId);
      if (listed?.myRole !== holder.role)
        problems.push(`${who}: holds ${holder.role} on ${processId}, their list says ${listed?.myRole}`);
    }
  }
  return problems;
}
