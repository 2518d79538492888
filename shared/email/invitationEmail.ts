import type { GrantableRole, ProcessKind } from "../domain/model.js";
import { ValidationError } from "../errors.js";

/**
 * The invitation email, SPEC "Invitations": what it asks the recipient to do and where it links
 * depend on the process kind and the granted role. Pure: the link comes from the configured
 * APP_BASE_URL, never from a request; every value a user typed is escaped in the HTML part and
 * cannot add lines to the subject or forge lines in the plain text.
 */

/** The personal message's limit; the share request's schema enforces the same one. */
export const invitationMessageMaxLength = 2000;

export interface InvitationEmailInput {
  readonly process: { readonly id: string; readonly name: string; readonly kind: ProcessKind };
  readonly role: GrantableRole;
  /** The person who shared, as the directory names them. */
  readonly sharerName: string;
  readonly recipientName?: string;
  readonly message?: string;
}

export interface InvitationEmail {
  readonly subject: string;
  readonly plainText: string;
  readonly html: string;
  readonly link: string;
}

interface InvitationWording {
  /** Completes "{sharer} invited you to …". */
  readonly asks: string;
  readonly page: "process" | "analytics";
}

/** The SPEC's invitations table; a kind and role missing here has no invitation. */
const invitationTable: Readonly<Record<ProcessKind, Partial<Record<GrantableRole, InvitationWording>>>> = {
  taskMining: {
    coOwner: { asks: "help manage the process", page: "process" },
    contributor: { asks: "add new recordings to the process", page: "process" },
  },
  processMining: {
    coOwner: { asks: "help manage the process", page: "process" },
    viewer: { asks: "view the analytics of the process", page: "analytics" },
  },
};

const subjectNameLimit = 120;

export function renderInvitationEmail(input: InvitationEmailInput, appBaseUrl: string): InvitationEmail {
  const wording = invitationTable[input.process.kind][input.role];
  if (wording === undefined) {
    throw new ValidationError(
      [{ field: "role", message: `A ${input.process.kind} process has no ${input.role} role.` }],
      "There is no invitation for this kind and role.",
    );
  }
  if (input.message !== undefined && input.message.length > invitationMessageMaxLength) {
    throw new ValidationError([
      {
        field: "message",
        message: `The personal message is at most ${invitationMessageMaxLength} characters.`,
      },
    ]);
  }
  const message = input.message === undefined ? "" : normalizeMessage(input.message);

  const link = invitationLink(appBaseUrl, input.process.id, wording.page);
  const sharer = singleLine(input.sharerName) || "Someone";
  const processName = singleLine(input.process.name) || "a process";
  const recipient = input.recipientName === undefined ? "" : singleLine(input.recipientName);
  const greeting = recipient === "" ? "Hello," : `Hello ${recipient},`;
  const invitation = `${sharer} invited you to ${wording.asks} "${processName}".`;
  const action = wording.page === "analytics" ? "Open the analytics" : "Open the process";

  const subject = `${truncate(sharer, subjectNameLimit)} invited you to ${wording.asks} "${truncate(processName, subjectNameLimit)}"`;

  const plainText = [
    greeting,
    "",
    invitation,
    ...(message === "" ? [] : ["", `${sharer} wrote:`, quote(message)]),
    "",
    `${action}: ${link}`,
    "",
    "You received this email because someone shared a process with you.",
  ].join("\n");

  const html = [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"></head><body>',
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(sharer)} invited you to ${escapeHtml(wording.asks)} <strong>${escapeHtml(processName)}</strong>.</p>`,
    ...(message === ""
      ? []
      : [
          `<p>${escapeHtml(sharer)} wrote:</p>`,
          `<blockquote>${escapeHtml(message).replace(/\n/g, "<br>")}</blockquote>`,
        ]),
    `<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>`,
    `<p>${escapeHtml(link)}</p>`,
    "<p>You received this email because someone shared a process with you.</p>",
    "</body></html>",
  ].join("\n");

  return { subject: singleLine(subject), plainText, html, link };
}

/** `{APP_BASE_URL}/processes/{id}` or `.../analytics`; the id is URL-encoded, whatever it holds. */
export function invitationLink(appBaseUrl: string, processId: string, page: "process" | "analytics"): string {
  const base = new URL(appBaseUrl);
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new Error("APP_BASE_URL must be an http(s) URL.");
  }
  const path = `${base.origin}${base.pathname.replace(/\/+$/, "")}/processes/${encodeURIComponent(processId)}`;
  return page === "analytics" ? `${path}/analytics` : path;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEntities[c] ?? c);
}

const htmlEntities: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none belongs in a name or a subject.
// eslint-disable-next-line no-control-regex
const lineBreaking = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
// eslint-disable-next-line no-control-regex
const controlExceptNewline = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/** One line of text: control characters become a space, runs of spaces one. */
export function singleLine(value: string): string {
  return value.replace(lineBreaking, " ").replace(/ {2,}/g, " ").trim();
}

/** The personal message keeps its line breaks (CRLF and CR become LF) and loses every other control character. */
function normalizeMessage(value: string): string {
  return value
    .replace(/\r\n?|[\u2028\u2029]/g, "\n")
    .replace(controlExceptNewline, "")
    .trim();
}

/** Each line quoted, so that a message cannot pass for the email's own lines (a fake link line, say). */
function quote(message: string): string {
  return message
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
}

function truncate(value: string, limit: number): string {
  const graphemes = Array.from(
    new Intl.Segmenter("en", { granularity: "grapheme" }).segment(value),
    (s) => s.segment,
  );
  return graphemes.length <= limit ? value : `${graphemes.slice(0, limit - 1).join("")}…`;
}
