import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

import type { Figure } from "./setup.js";

const number = (value: number) =>
  Number.isInteger(value)
    ? value.toLocaleString("en")
    : Math.abs(value) >= 100
      ? value.toFixed(0)
      : Math.abs(value) >= 10
        ? value.toFixed(1)
        : value.toFixed(2);

const verdict = (figure: Figure) => (figure.met === undefined ? "-" : figure.met ? "met" : "MISSED");

/** The results as a plain-text table, one row per figure, with its baseline, target and verdict. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => [
    figure.section,
    figure.name,
    `${number(figure.value)} ${figure.unit}`,
    figure.baseline === undefined
      ? ""
      : `${number(figure.baseline.value)} ${figure.baseline.unit} (${figure.baseline.name})`,
    figure.target,
    verdict(figure),
  ]);
  const header = ["section", "figure", "value", "baseline (same run)", "target", "result"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ");
  const notes = figures
    .filter((figure) => figure.note !== undefined)
    .map((figure) => `  ${figure.section} / ${figure.name}: ${figure.note!}`);
  return [
    line(header),
    widths.map((width) => "-".repeat(width)).join("-|-"),
    ...rows.map(line),
    "",
    "Notes:",
    ...notes,
  ].join("\n");
}

export async function writeResults(file: string, results: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}
