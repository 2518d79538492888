import { afterAll, beforeAll, describe, test } from "vitest";

import { startTestIdentity, type TestIdentity } from "../support/identity.js";
import { KNOWN_FINDINGS } from "./knownFindings.js";
import { checkModel, mainFeatures } from "./property.js";

/**
 * The access core against the reference model (./reference.ts, from SPEC §1–2): random
 * sequences of create, share, change, revoke, leave, delete, rename and recordings by every kind
 * of caller, some at once, each step checked on every answer and everything everyone sees.
 * `npm run test:model -- --runs N [--seed S]` runs many more (MODEL_RUNS, MODEL_SEED).
 */

const seed = Number(process.env.MODEL_SEED ?? 20261201);
const runs = Number(process.env.MODEL_RUNS ?? 200);
const timeout = Math.max(120_000, runs * 2_000);

let identity: TestIdentity;
beforeAll(async () => {
  identity = await startTestIdentity();
});
afterAll(async () => {
  await identity.close();
});

describe(`the access core agrees with the reference model (seed ${seed})`, () => {
  test(`${runs} random sequences, concurrent steps included`, { timeout }, async () => {
    await checkModel(identity, { runs, seed, features: mainFeatures });
  });

  (KNOWN_FINDINGS.duplicateRecipients ? test.fails : test)(
    "finding 2: a person named by id and by email in one share is processed once, the later mention a duplicate_recipient failure",
    { timeout },
    async () => {
      await checkModel(identity, {
        runs: Math.max(50, runs / 4),
        seed,
        features: { ...mainFeatures, duplicateRecipients: true },
      });
    },
  );

  for (const [kind, what] of [
    ["forgeToken", "a hand-made token (the administrators' index phase)"],
    ["tamperToken", "an altered token"],
    ["foreignToken", "another user's token"],
  ] as const) {
    (KNOWN_FINDINGS.sealedTokens ? test.fails : test)(
      `finding 1: ${what} is 400 invalid_continuation_token`,
      { timeout },
      async () => {
        await checkModel(identity, {
          runs: Math.max(30, runs / 8),
          seed,
          features: { ...mainFeatures, tokens: [kind] },
        });
      },
    );
  }

  for (const [race, flag, title] of [
    [
      "shareDelete",
      KNOWN_FINDINGS.shareRacingDelete,
      "finding 10: a share that loses to a delete leaves nothing behind in anyone's list",
    ],
    [
      "renameDelete",
      KNOWN_FINDINGS.renameRacingDelete,
      "finding 7: a rename racing a delete does not bring the process back into administrators' lists",
    ],
    [
      "recordingDelete",
      KNOWN_FINDINGS.recordingDeleteRace,
      "finding 12: of two deletes of one recording, one is 204 and the other 404",
    ],
  ] as const) {
    (flag ? test.fails : test)(title, { timeout }, async () => {
      await checkModel(identity, { runs: 20, seed, features: mainFeatures, race });
    });
  }
});
