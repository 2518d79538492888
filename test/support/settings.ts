import { readFileSync } from "node:fs";

/** The settings a developer starts with: `local.settings.sample.json`'s values. */
export function sampleSettings(): Record<string, string> {
  const file = new URL("../../local.settings.sample.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { Values: Record<string, string> }).Values;
}

/** Puts the sample settings into the environment, as the host does before the app starts. */
export function applySampleSettings(): void {
  for (const [name, value] of Object.entries(sampleSettings())) process.env[name] ??= value;
}
