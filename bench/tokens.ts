import { createPublicKey, verify } from "node:crypto";

import { createTokenValidator } from "../shared/auth/tokenValidator.js";
import { DevDirectory } from "../shared/directory/devDirectory.js";
import { startTestIdentity } from "../test/support/identity.js";
import { benchDirectory, type Figure } from "./setup.js";

/**
 * Token validation per token against Node's raw RS256 `crypto.verify` with a key imported once,
 * on the same tokens. Each token goes through both, back to back; the median round's ratio is the figure.
 */
export async function measureTokens(
  options: { rounds?: number; tokensPerRound?: number } = {},
): Promise<Figure[]> {
  const rounds = options.rounds ?? 5;
  const perRound = options.tokensPerRound ?? 200;
  const repeats = 200_000;
  const identity = await startTestIdentity({ directory: new DevDirectory(benchDirectory()) });
  try {
    const validator = createTokenValidator(identity.authConfig);
    const aliases = ["alice", "bob", "carol", "dave", "frank"];
    const mint = async (count: number) => {
      const tokens: string[] = [];
      for (let index = 0; index < count; index++)
        tokens.push(await identity.token(aliases[index % aliases.length]!));
      return tokens;
    };
    // The first token fetches the JWKS; it is not part of the timing.
    await validator.authenticate(`Bearer ${(await mint(1))[0]!}`);
    const jwk = identity.provider.jwks().keys[0]!;
    const key = createPublicKey({ key: jwk, format: "jwk" });
    const raw = (token: string) => {
      const dot = token.lastIndexOf(".");
      const valid = verify(
        "RSA-SHA256",
        Buffer.from(token.slice(0, dot), "latin1"),
        key,
        Buffer.from(token.slice(dot + 1), "base64url"),
      );
      if (!valid) throw new Error("raw verify refused a good token");
    };

    // Each token is checked raw, then by the validator, back to back: both see the same machine.
    const roundResults: { raw: number; firstSight: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const tokens = await mint(perRound);
      let rawTotal = 0;
      let validatorTotal = 0;
      for (const token of tokens) {
        const before = performance.now();
        raw(token);
        const between = performance.now();
        await validator.authenticate(`Bearer ${token}`);
        rawTotal += between - before;
        validatorTotal += performance.now() - between;
      }
      roundResults.push({
        raw: (rawTotal * 1000) / perRound,
        firstSight: (validatorTotal * 1000) / perRound,
      });
    }
    // The round with the median ratio stands for the run; the noisiest rounds fall to either side.
    roundResults.sort((a, b) => a.firstSight / a.raw - b.firstSight / b.raw);
    const typical = roundResults[Math.floor(roundResults.length / 2)]!;
    const bestRaw = typical.raw;
    const bestFirstSight = typical.firstSight;

    const seen = `Bearer ${(await mint(1))[0]!}`;
    await validator.authenticate(seen);
    for (let index = 0; index < 10_000; index++) await validator.authenticate(seen);
    const started = performance.now();
    for (let index = 0; index < repeats; index++) await validator.authenticate(seen);
    const repeated = ((performance.now() - started) * 1000) / repeats;
    const jwksFetches = identity.jwksRequests();

    const baseline = { name: "raw crypto.verify RS256", value: bestRaw, unit: "µs" };
    return [
      {
        section: "tokens",
        name: "first sight (distinct tokens), per token",
        value: bestFirstSight,
        unit: "µs",
        baseline,
        target: "<= 2x raw",
        met: bestFirstSight <= 2 * bestRaw,
        note: `${(bestFirstSight / bestRaw).toFixed(2)}x raw (median round of ${rounds}, ${perRound} tokens each, interleaved); ratios ${roundResults.map((r) => (r.firstSight / r.raw).toFixed(2)).join(", ")}`,
      },
      {
        section: "tokens",
        name: "a token seen before, per token",
        value: repeated,
        unit: "µs",
        target: "<= 5 µs",
        met: repeated <= 5,
        note: `${repeats.toLocaleString("en")} validations, await included`,
      },
      {
        section: "tokens",
        name: "JWKS fetches",
        value: jwksFetches,
        unit: "fetches",
        target: "1",
        met: jwksFetches === 1,
        note: `${rounds * perRound + 2} distinct tokens validated`,
      },
    ];
  } finally {
    await identity.close();
  }
}
