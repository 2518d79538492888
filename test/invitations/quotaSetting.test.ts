import { describe, expect, test } from "vitest";

import { ConfigError, loadConfig } from "../../shared/config.js";
import { maxHourlyQuota } from "../../shared/invitations/sharerQuota.js";
import { sampleSettings } from "../support/settings.js";

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("INVITATION_SHARER_HOURLY_QUOTA", () => {
  test("defaults to 100 and is read as a number", () => {
    const { INVITATION_SHARER_HOURLY_QUOTA: _quota, ...rest } = sampleSettings();
    expect(loadConfig(rest).email.sharerHourlyQuota).toBe(100);
    expect(loadConfig({ ...rest, INVITATION_SHARER_HOURLY_QUOTA: "7" }).email.sharerHourlyQuota).toBe(7);
  });

  test("is named in local.settings.sample.json with its default", () => {
    expect(sampleSettings().INVITATION_SHARER_HOURLY_QUOTA).toBe("100");
  });

  test.each(["0", "-1", "2.5", "many", String(maxHourlyQuota + 1)])(
    "refuses %s, naming the setting",
    (value) => {
      const problems = problemsOf({ ...sampleSettings(), INVITATION_SHARER_HOURLY_QUOTA: value });
      expect(problems.map((problem) => problem.split(":")[0])).toEqual(["INVITATION_SHARER_HOURLY_QUOTA"]);
    },
  );
});
