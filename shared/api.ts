import { z } from "zod";

import { isGuid, normalizeId } from "./domain/ids.js";
import { processKinds } from "./domain/model.js";

/**
 * The HTTP contract's inputs, as strict schemas: unknown fields are refused so that a typo
 * never silently changes behaviour. Every id that becomes a table key is a GUID, checked here.
 */

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const lineBreaksOrControl = /[\u0000-\u001f\u007f-\u009f]/;

export const guidSchema = z
  .string()
  .refine(isGuid, "must be a GUID (an Entra object id or a process id)")
  .transform(normalizeId);

/** A single-line name: no control characters, trimmed, 1 to 200 characters. */
export const nameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine((value) => !lineBreaksOrControl.test(value), "must not contain control characters or line breaks");

/** Free text: line breaks and tabs allowed, other control characters not. */
export const textSchema = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !controlCharacters.test(value), "must not contain control characters");

export const createProcessSchema = z.strictObject({
  kind: z.enum(processKinds),
  name: nameSchema,
  description: textSchema(4000).optional(),
});

export const updateProcessSchema = z
  .strictObject({ name: nameSchema.optional(), description: textSchema(4000).optional() })
  .refine((value) => value.name !== undefined || value.description !== undefined, "give name or description");

export const pageQuerySchema = z.strictObject({
  top: z.coerce.number().int().min(1).max(100).default(50),
  continuationToken: z.string().min(1).max(4096).optional(),
});

/** When a role ends: an ISO 8601 date and time with a zone (checked against the clock by the domain). */
export const expiresAtSchema = z.iso.datetime({ offset: true }).nullable();

/** The longest `expiringWithin` window: roles end at most a year ahead, so a longer one adds nothing. */
export const maxExpiringWithinMs = 366 * 24 * 3_600_000;

/**
 * An ISO 8601 duration of weeks, days, hours, minutes and seconds (`P7D`, `PT12H`, `P1DT6H`),
 * as milliseconds. Years and months are refused: their length depends on the date.
 */
const durationPattern = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const durationUnitsMs = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000];

export const durationSchema = z
  .string()
  .max(40)
  .regex(durationPattern, "must be an ISO 8601 duration such as P7D or PT12H")
  .transform((value) =>
    (durationPattern.exec(value) ?? [])
      .slice(1)
      .reduce(
        (total, count: string | undefined, index) =>
          total + Number(count ?? 0) * (durationUnitsMs[index] ?? 0),
        0,
      ),
  )
  .refine((ms) => ms > 0, "must be longer than zero")
  .refine((ms) => ms <= maxExpiringWithinMs, "must be at most 366 days (P366D)");

/** `GET /api/processes`: a page of the list, or (with `expiringWithin`) of the caller's roles that end soon. */
export const listQuerySchema = pageQuerySchema.extend({ expiringWithin: durationSchema.optional() });

export const grantableRoleSchema = z.enum(["coOwner", "contributor", "viewer"]);

export const recipientSchema = z.union([
  z.strictObject({ id: guidSchema }),
  z.strictObject({
    email: z
      .email()
      .max(320)
      .transform((email) => email.toLowerCase()),
  }),
]);

export const messageSchema = textSchema(2000);

export const shareSchema = z
  .strictObject({
    role: grantableRoleSchema,
    recipients: z
      .array(recipientSchema)
      .min(1, "give at least one recipient")
      .max(100, "at most 100 recipients"),
    sendInvitation: z.boolean().default(true),
    message: messageSchema.optional(),
    expiresAt: expiresAtSchema.optional(),
    notifyBeforeExpiry: durationSchema.optional(),
  })
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.recipients.forEach((recipient, index) => {
      const key = "id" in recipient ? `id:${recipient.id}` : `email:${recipient.email}`;
      if (seen.has(key))
        ctx.addIssue({ code: "custom", path: ["recipients", index], message: "is given more than once" });
      seen.add(key);
    });
  });

export const changeRoleSchema = z.strictObject({
  role: grantableRoleSchema,
  sendInvitation: z.boolean().default(true),
  message: messageSchema.optional(),
  expiresAt: expiresAtSchema.optional(),
});

export const processParamsSchema = z.object({ id: guidSchema });
export const principalParamsSchema = z.object({ id: guidSchema, principalId: guidSchema });

/** Issue 14: the owner offers the process to a holder; the offer's email as a share's (cooldown and quota apply). */
export const ownershipOfferSchema = z.strictObject({
  principalId: guidSchema,
  sendInvitation: z.boolean().default(true),
  message: messageSchema.optional(),
});

/** Issue 14: a system administrator gives the process to another user (offboarding). */
export const reassignOwnerSchema = z.strictObject({ principalId: guidSchema });
