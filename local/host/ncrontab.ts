/**
 * Six-field NCRONTAB schedules as timer triggers write them: `sec min hour day month dow`, each
 * `*`, a value, a range `a-b`, a list `a,b`, a step `*\/n` or `a-b/n`, names for months and
 * days. As in NCrontab, day-of-month and day-of-week must both match. Times are UTC.
 */

export class ScheduleError extends Error {
  override readonly name = "ScheduleError";
}

export interface Schedule {
  readonly expression: string;
  /** The first occurrence strictly after `after`; undefined if none within five years. */
  next(after: Date): Date | undefined;
}

const monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly nameOffset?: number;
}

const fields: readonly FieldSpec[] = [
  { label: "second", min: 0, max: 59 },
  { label: "minute", min: 0, max: 59 },
  { label: "hour", min: 0, max: 23 },
  { label: "day", min: 1, max: 31 },
  { label: "month", min: 1, max: 12, names: monthNames, nameOffset: 1 },
  { label: "day of week", min: 0, max: 6, names: dayNames, nameOffset: 0 },
];

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const named = spec.names?.indexOf(text.toLowerCase().slice(0, 3)) ?? -1;
  const value = named >= 0 && /^[a-z]+$/i.test(text) ? named + (spec.nameOffset ?? 0) : Number(text);
  if (!/^\d+$/.test(text) && named < 0) {
    throw new ScheduleError(`Schedule "${expression}": "${text}" is not a valid ${spec.label}.`);
  }
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new ScheduleError(
      `Schedule "${expression}": ${spec.label} ${text} is outside ${spec.min}-${spec.max}.`,
    );
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new ScheduleError(
        `Schedule "${expression}": step "${stepText ?? ""}" in the ${spec.label} field is not a positive integer.`,
      );
    }
    let from: number;
    let to: number;
    if (range === "*") {
      from = spec.min;
      to = spec.max;
    } else if (range.includes("-")) {
      const [low = "", high = ""] = range.split("-");
      from = parseValue(low, spec, expression);
      to = parseValue(high, spec, expression);
      if (from > to) throw new ScheduleError(`Schedule "${expression}": range ${range} runs backwards.`);
    } else {
      from = parseValue(range, spec, expression);
      to = stepText === undefined ? from : spec.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

export function parseSchedule(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleError(
      `Schedule "${expression}" must have six fields (second minute hour day month day-of-week), it has ${parts.length}.`,
    );
  }
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((part, index) => {
    const spec = fields[index];
    if (spec === undefined) throw new ScheduleError(`Schedule "${expression}" has too many fields.`);
    return parseField(part, spec, expression);
  }) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];

  function next(after: Date): Date | undefined {
    const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
    const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
    while (t.getTime() <= limit) {
      if (!months.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0, 0);
        continue;
      }
      if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0);
        continue;
      }
      if (!hours.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0);
        continue;
      }
      if (!minutes.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
        continue;
      }
      if (!seconds.has(t.getUTCSeconds())) {
        t.setUTCSeconds(t.getUTCSeconds() + 1);
        continue;
      }
      return t;
    }
    return undefined;
  }

  return { expression, next };
}
