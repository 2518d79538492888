import { z } from "zod";

import { guidSchema, nameSchema } from "../api.js";

/**
 * The recordings routes' inputs, as strict schemas (unknown fields are refused). Labels and
 * application names are short single-line strings; lists of them are bounded and free of
 * duplicates, compared case-insensitively as a person reading them would.
 */

export const maxLabels = 20;
export const maxLabelLength = 50;
export const maxApplications = 50;
export const maxApplicationLength = 100;
/** A recording covers at most one day of work. */
export const maxDurationSeconds = 24 * 60 * 60;

// eslint-disable-next-line no-control-regex
const lineBreaksOrControl = /[\u0000-\u001f\u007f-\u009f]/;

function shortText(max: number) {
  return z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .refine(
      (value) => !lineBreaksOrControl.test(value),
      "must not contain control characters or line breaks",
    );
}

function distinctList(item: z.ZodType<string>, max: number, noun: string) {
  return z
    .array(item)
    .max(max, `at most ${max} ${noun}`)
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        const key = value.toLocaleLowerCase("en-US");
        if (seen.has(key))
          ctx.addIssue({ code: "custom", path: [index], message: "is given more than once" });
        seen.add(key);
      });
    });
}

export const labelsSchema = distinctList(shortText(maxLabelLength), maxLabels, "labels");
export const applicationsSchema = distinctList(
  shortText(maxApplicationLength),
  maxApplications,
  "applications",
);

export const addRecordingSchema = z.strictObject({
  name: nameSchema,
  labels: labelsSchema.default([]),
  durationSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(0, "must not be negative")
    .max(maxDurationSeconds, `must be at most ${maxDurationSeconds} seconds (24 hours)`)
    .optional(),
  applications: applicationsSchema.default([]),
});
export type AddRecordingInput = z.infer<typeof addRecordingSchema>;

export const updateRecordingSchema = z
  .strictObject({ name: nameSchema.optional(), labels: labelsSchema.optional() })
  .refine((value) => value.name !== undefined || value.labels !== undefined, "give name or labels");
export type UpdateRecordingInput = z.infer<typeof updateRecordingSchema>;

export const recordingParamsSchema = z.object({ id: guidSchema, recordingId: guidSchema });
