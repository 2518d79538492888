import { changeRole, revokeAccess, shareProcess } from "../../functions/access.js";
import { listAccess } from "../../functions/access.js";
import { explainAccess } from "../../functions/access.js";
import {
  createProcess,
  deleteProcess,
  getProcess,
  listProcesses,
  updateProcess,
} from "../../functions/processes.js";
import { addRecording, deleteRecording, listRecordings } from "../../functions/recordings.js";
import { acceptOwnership, offerOwnership } from "../../functions/transfer.js";
import { groupId, type MovableClock, processPath, type TestApp, users } from "../support/app.js";
import type { Pacing, StoragePacing } from "../support/storagePacing.js";
import {
  accessOf,
  actionsOf,
  type Alias,
  type Answer,
  answerKey,
  callers,
  cloneState,
  type Command,
  expectation,
  type ListEntry,
  listOf,
  liveRecordings,
  type ModelState,
  processOf,
  type Recipient,
  recordingOf,
  roleNow,
  tickMs,
  viewOf,
} from "./reference.js";

/**
 * Drives the app through its registered handlers with real tokens, one command or a group of
 * concurrent ones at a time, and checks every answer and then everything everyone can see
 * against the reference model. Concurrent commands pass when some order of them explains every
 * answer and what is seen afterwards (linearizability against the model).
 */

/** A command that reads the paging codec: answers nothing to the model's state. */
export type TokenCommand =
  | { readonly t: "forgeToken"; readonly by: Alias }
  | { readonly t: "tamperToken"; readonly by: Alias }
  | { readonly t: "foreignToken"; readonly by: Alias; readonly from: Alias };

export type AnyCommand = Command | TokenCommand;
export type Step =
  | AnyCommand
  | {
      readonly t: "parallel";
      readonly steps: readonly Command[];
      /** Milliseconds each command waits before it is sent: different interleavings of the same commands. */
      readonly delays?: readonly number[];
      /** How each command's storage requests are paced (to hold a race's window open). */
      readonly pacing?: readonly (Pacing | undefined)[];
    };

const unknownRecordingId = "0000dead-0000-4000-8000-000000000001";
const unknownUserId = "0000dead-0000-4000-8000-000000000002";
const aliasById = new Map<string, string>(Object.values(users).map((user) => [user.id, user.alias]));

export interface Raw {
  readonly status: number;
  readonly body: any;
}

/** Resolves a command's process and recording references against the state it starts from. */
export function resolve(state: ModelState, command: AnyCommand): AnyCommand | undefined {
  if (!("p" in command)) return command;
  const process = processOf(state, command.p);
  if (process === undefined) return undefined;
  const p = state.processes.indexOf(process);
  if (command.t !== "deleteRecording") return { ...command, p };
  const r = process.recordings.length === 0 ? -1 : command.r % process.recordings.length;
  return { ...command, p, r };
}

function recipientBody(recipient: Recipient): { id: string } | { email: string } {
  switch (recipient.who) {
    case "group":
      return recipient.via === "id" ? { id: groupId } : { email: "analysts@contoso.example" };
    case "nobody":
      return recipient.via === "id" ? { id: unknownUserId } : { email: "nobody@contoso.example" };
    default: {
      const user = users[recipient.who];
      return recipient.via === "id" ? { id: user.id } : { email: user.email };
    }
  }
}

export function answerOf(command: AnyCommand, raw: Raw): Answer {
  const code = typeof raw.body?.code === "string" ? { code: raw.body.code as string } : {};
  if (command.t === "share" && Array.isArray(raw.body?.value)) {
    const items = (raw.body.value as { status: string; error?: { code: string } }[]).map(
      (result) => result.error?.code ?? result.status,
    );
    return { status: raw.status, ...code, items };
  }
  if (command.t === "change" && raw.status === 200)
    return { status: 200, items: [raw.body.status as string] };
  return { status: raw.status, ...code };
}

export class Harness {
  /** Every step's record, for the counterexample's story. */
  readonly story: string[] = [];

  constructor(
    readonly app: TestApp,
    /** The page size every list is read with (small: every page is followed). */
    readonly top: number,
    /** Paces or fails chosen commands' storage requests (a policy of the app's storage clients). */
    readonly pacing?: StoragePacing,
    /** The app's service clock, which `tick` moves (issue 14). */
    readonly clock?: MovableClock,
  ) {
    this.startedAt = clock?.now().getTime() ?? Date.now();
  }

  /** The service clock's time when the model's clock read 0. */
  private readonly startedAt: number;

  private processId(state: ModelState, p: number): string {
    return state.processes[p]!.id;
  }

  /** Calls the app for one resolved command with its storage requests paced (or one of them failed). */
  async performPaced(
    state: ModelState,
    command: AnyCommand,
    pacing: Pacing,
  ): Promise<{ raw: Raw | undefined; sent: number }> {
    if (this.pacing === undefined) throw new Error("This harness was made without storage pacing.");
    const { value, sent } = await this.pacing.run(pacing, () => this.perform(state, command));
    return { raw: value, sent: sent.length };
  }

  /** Calls the app for one resolved command; undefined when the command had nothing to act on. */
  async perform(state: ModelState, command: AnyCommand): Promise<Raw | undefined> {
    const app = this.app;
    switch (command.t) {
      case "tick":
        if (this.clock === undefined) throw new Error("This harness was made without a movable clock.");
        this.clock.advance(tickMs);
        return { status: 200, body: {} };
      case "sweep": {
        const { failed } = await app.services.useCases.expirySweep.sweep();
        return { status: failed === 0 ? 200 : 500, body: {} };
      }
      case "create":
        return await app.call(createProcess, {
          method: "POST",
          path: "/api/processes",
          as: command.by,
          body: { kind: command.kind, name: command.name },
        });
      case "share":
        return await app.call(shareProcess, {
          method: "POST",
          as: command.by,
          ...processPath(this.processId(state, command.p), "/access"),
          body: {
            role: command.role,
            recipients: command.recipients.map(recipientBody),
            sendInvitation: false,
            // On the model's clock: the same share at the same model time names the same expiry.
            ...(command.expiresIn !== undefined && {
              expiresAt: new Date(this.startedAt + state.now + command.expiresIn).toISOString(),
            }),
          },
        });
      case "change":
      case "revoke": {
        const id = this.processId(state, command.p);
        const principalId = users[command.target].id;
        return await app.call(command.t === "change" ? changeRole : revokeAccess, {
          method: command.t === "change" ? "PUT" : "DELETE",
          as: command.by,
          path: `/api/processes/${id}/access/${principalId}`,
          params: { id, principalId },
          ...(command.t === "change" && { body: { role: command.role, sendInvitation: false } }),
        });
      }
      case "offer": {
        const id = this.processId(state, command.p);
        return await app.call(offerOwnership, {
          method: "POST",
          as: command.by,
          ...processPath(id, "/transfer"),
          body: { principalId: users[command.target].id, sendInvitation: false },
        });
      }
      case "accept":
        return await app.call(acceptOwnership, {
          method: "POST",
          as: command.by,
          ...processPath(this.processId(state, command.p), "/transfer/accept"),
        });
      case "delete":
        return await app.call(deleteProcess, {
          method: "DELETE",
          as: command.by,
          ...processPath(this.processId(state, command.p)),
        });
      case "rename":
        return await app.call(updateProcess, {
          method: "PATCH",
          as: command.by,
          ...processPath(this.processId(state, command.p)),
          body: { name: command.name },
        });
      case "addRecording":
        return await app.call(addRecording, {
          method: "POST",
          as: command.by,
          ...processPath(this.processId(state, command.p), "/recordings"),
          body: { name: "Submitting a claim" },
        });
      case "deleteRecording": {
        const process = state.processes[command.p]!;
        const recordingId = recordingOf(process, command.r)?.id ?? unknownRecordingId;
        return await app.call(deleteRecording, {
          method: "DELETE",
          as: command.by,
          path: `/api/processes/${process.id}/recordings/${recordingId}`,
          params: { id: process.id, recordingId },
        });
      }
      case "forgeToken": {
        // The token a client could make by hand: the administrators' index phase, unsealed.
        const forged = Buffer.from(JSON.stringify({ phase: "index", kind: "processMining" })).toString(
          "base64url",
        );
        return await this.listPage(command.by, `/api/processes?top=${this.top}&continuationToken=${forged}`);
      }
      case "tamperToken":
      case "foreignToken": {
        const owner = command.t === "foreignToken" ? command.from : command.by;
        if (owner === command.by && command.t === "foreignToken") return undefined;
        const first = await this.listPage(owner, "/api/processes?top=1");
        const next = first.body?.nextLink as string | undefined;
        if (next === undefined) return undefined;
        const url = new URL(next, "http://localhost:7071");
        let token = url.searchParams.get("continuationToken")!;
        if (command.t === "tamperToken") {
          const at = Math.floor(token.length / 2);
          token = `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
        }
        url.searchParams.set("continuationToken", token);
        return await this.listPage(command.by, `${url.pathname}${url.search}`);
      }
    }
  }

  private listPage(as: string, path: string): Promise<Raw> {
    return this.app.call(listProcesses, { as, path });
  }

  /**
   * Runs one step and checks it: every answer, then every list, access list, recording list and
   * view of the processes it touched. Returns the state that explains what was seen.
   */
  async step(state: ModelState, step: Step, options: { check?: boolean } = {}): Promise<ModelState> {
    const delays = step.t === "parallel" ? (step.delays ?? []) : [];
    const pacing = step.t === "parallel" ? (step.pacing ?? []) : [];
    const scheduled = (step.t === "parallel" ? step.steps : [step]).flatMap((command, index) => {
      const resolved = resolve(state, command);
      return resolved === undefined
        ? []
        : [{ command: resolved, delay: delays[index] ?? 0, pacing: pacing[index] }];
    });
    const commands = scheduled.map(({ command }) => command);
    if (commands.length === 0) return state;
    this.story.push(
      JSON.stringify(commands.length === 1 && step.t !== "parallel" ? commands[0] : { parallel: scheduled }),
    );
    const raws = await Promise.all(
      scheduled.map(async ({ command, delay, pacing: paced }) => {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        if (paced === undefined || this.pacing === undefined) return await this.perform(state, command);
        return (await this.pacing.run(paced, () => this.perform(state, command))).value;
      }),
    );
    const answers = commands.map((command, index) => {
      const raw = raws[index];
      return raw === undefined ? undefined : answerOf(command, raw);
    });

    const candidates: ModelState[] = [];
    const refusals: string[] = [];
    for (const order of permutations(commands.map((_, index) => index))) {
      const next = cloneState(state);
      let explained = true;
      for (const index of order) {
        const command = commands[index]!;
        const answer = answers[index];
        if (answer === undefined || isTokenCommand(command)) {
          if (answer !== undefined && answerKey(answer) !== answerKey(tokenRefusal)) {
            explained = false;
            refusals.push(`${command.t} answered ${answerKey(answer)}, expected ${answerKey(tokenRefusal)}`);
          }
          continue;
        }
        const expected = expectation(next, command);
        if (!expected.answers.some((candidate) => answerKey(candidate) === answerKey(answer))) {
          explained = false;
          refusals.push(
            `${command.t} by ${"by" in command ? command.by : "the service"} answered ${answerKey(answer)}` +
              ` (${JSON.stringify(raws[index]?.body ?? null).slice(0, 300)}), expected one of ${expected.answers.map(answerKey).join(" | ")}`,
          );
          break;
        }
        expected.effect?.(next, raws[index]!);
      }
      if (explained) candidates.push(next);
    }
    if (candidates.length === 0) throw new ModelMismatch("answer", refusals.join("\n"), this.story);

    // A tick or a sweep changes what everyone may do on every process: each is looked at.
    const everywhere = commands.some((command) => command.t === "tick" || command.t === "sweep");
    const touched = new Set(
      everywhere
        ? candidates[0]!.processes.map((process) => process.id)
        : commands
            .flatMap((command) => ("p" in command ? [command.p] : []))
            .map((p) => this.processId(candidates[0]!, p)),
    );
    return options.check === false ? candidates[0]! : await this.check(candidates, touched);
  }

  /**
   * Checks what everyone sees against the candidate states, returning the one that explains it:
   * after a step, every list and the processes it touched; at the end (`touched` undefined), all.
   */
  async check(candidates: readonly ModelState[], touched?: ReadonlySet<string>): Promise<ModelState> {
    const all = new Set(candidates[0]!.processes.map((process) => process.id));
    const seen = await this.observe(candidates[0]!, touched ?? all);
    const matching = candidates.find((candidate) => sameView(expectedView(candidate, touched ?? all), seen));
    if (matching === undefined) {
      throw new ModelMismatch(
        "view",
        difference(expectedView(candidates[0]!, touched ?? all), seen),
        this.story,
      );
    }
    return matching;
  }

  /** What everyone sees now: every user's whole list; access list, recordings and views of the processes touched. */
  async observe(state: ModelState, touched: ReadonlySet<string>): Promise<View> {
    const view: View = {};
    await Promise.all([
      ...callers.map(async (who) => (view[`list ${who}`] = await this.wholeList(who))),
      ...state.processes
        .filter((process) => touched.has(process.id))
        .map(async (process) => {
          const access = await this.app.call(listAccess, {
            as: process.owner,
            ...processPath(process.id, "/access"),
          });
          view[`access ${process.id}`] =
            access.status === 200
              ? (access.body.value as { principalId: string; role: string }[])
                  .map((entry) => ({
                    who: aliasById.get(entry.principalId) ?? entry.principalId,
                    role: entry.role,
                  }))
                  .sort((a, b) => a.who.localeCompare(b.who))
              : `${access.status} ${access.body?.code}`;
          if (process.kind !== "taskMining") return;
          const recordings = await this.app.call(listRecordings, {
            as: process.owner,
            path: `/api/processes/${process.id}/recordings?top=100`,
            params: { id: process.id },
          });
          view[`recordings ${process.id}`] =
            recordings.status === 200
              ? (recordings.body.value as { id: string }[]).map((recording) => recording.id).sort()
              : `${recordings.status} ${recordings.body?.code}`;
        }),
      ...[...touched].flatMap((id) =>
        callers.map(async (who) => {
          const got = await this.app.call(getProcess, { as: who, ...processPath(id) });
          view[`view ${id} ${who}`] =
            got.status === 200
              ? { status: 200, myRole: got.body.myRole, actions: [...got.body.actions].sort() }
              : { status: got.status, code: got.body?.code };
        }),
      ),
      // Issue 14: the explanation the owner gets about each person grants exactly what the model
      // says that person may do (their role, its expiry, an offer, their rights from the directory).
      ...state.processes
        .filter((process) => touched.has(process.id))
        .flatMap((process) =>
          callers.map(async (who) => {
            const explained = await this.app.call(explainAccess, {
              as: process.owner,
              path: `/api/processes/${process.id}/access/${users[who].id}/explain`,
              params: { id: process.id, principalId: users[who].id },
            });
            view[`explain ${process.id} ${who}`] =
              explained.status === 200
                ? (explained.body.actions as { action: string; granted: boolean }[])
                    .filter((entry) => entry.granted)
                    .map((entry) => entry.action)
                    .sort()
                : `${explained.status} ${explained.body?.code}`;
          }),
        ),
    ]);
    return view;
  }

  /** A user's list, every page, following `nextLink`. */
  private async wholeList(who: Alias): Promise<ListEntry[] | string> {
    const entries: ListEntry[] = [];
    let path: string | undefined = `/api/processes?top=${this.top}`;
    for (let pages = 0; path !== undefined; pages++) {
      if (pages > 100) return "more than 100 pages";
      const page = await this.listPage(who, path);
      if (page.status !== 200) return `${page.status} ${page.body?.code} on page ${pages + 1}`;
      for (const entry of page.body.value as ListEntry[]) {
        entries.push({
          id: entry.id,
          kind: entry.kind,
          name: entry.name,
          myRole: entry.myRole,
          accessRevoked: entry.accessRevoked,
          actions: [...entry.actions].sort(),
        });
      }
      path = page.body.nextLink as string | undefined;
    }
    return entries.sort((a, b) => a.id.localeCompare(b.id));
  }
}

const tokenRefusal: Answer = { status: 400, code: "invalid_continuation_token" };

function isTokenCommand(command: AnyCommand): command is TokenCommand {
  return command.t === "forgeToken" || command.t === "tamperToken" || command.t === "foreignToken";
}

export type View = Record<string, unknown>;

/** What the model says everyone sees in `state`. */
export function expectedView(state: ModelState, touched: ReadonlySet<string>): View {
  const view: View = {};
  for (const who of callers) view[`list ${who}`] = listOf(state, who);
  for (const process of state.processes) {
    if (!touched.has(process.id)) continue;
    view[`access ${process.id}`] = process.deleted ? "404 not_found" : accessOf(process);
    if (process.kind === "taskMining") {
      view[`recordings ${process.id}`] = process.deleted ? "404 not_found" : liveRecordings(process);
    }
    for (const who of callers) {
      const seen = viewOf(process, who);
      view[`view ${process.id} ${who}`] =
        seen.status === 200
          ? { status: 200, myRole: seen.myRole, actions: seen.actions }
          : { status: seen.status, code: seen.code };
      view[`explain ${process.id} ${who}`] = process.deleted
        ? "404 not_found"
        : [...actionsOf(process.kind, roleNow(process, who), who, process.pendingOwner === who)].sort();
    }
  }
  return view;
}

function sameView(expected: View, seen: View): boolean {
  return difference(expected, seen) === "";
}

/** The keys that differ, each with what the model expected and what the app showed. */
export function difference(expected: View, seen: View): string {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(seen)])].sort();
  return keys
    .filter((key) => JSON.stringify(expected[key]) !== JSON.stringify(seen[key]))
    .map((key) => `${key}\n  model: ${JSON.stringify(expected[key])}\n  app:   ${JSON.stringify(seen[key])}`)
    .join("\n");
}

export class ModelMismatch extends Error {
  constructor(
    readonly kind: "answer" | "view",
    readonly detail: string,
    story: readonly string[],
  ) {
    super(`The app disagrees with the model (${kind}):\n${detail}\nSteps:\n  ${story.join("\n  ")}`);
  }
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}
