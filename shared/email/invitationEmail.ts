import type { ProcessKind, Role } from "../domain/model.js";
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
  /** The role granted; `owner` for an ownership offer (issue 14). */
  readonly role: Role;
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
const invitationTable: Readonly<Record<ProcessKind, Partial<Record<Role, InvitationWording>>>> = {
  taskMining: {
    owner: { asks: "take over ownership of the process", page: "process" },
    coOwner: { asks: "help manage the process", page: "process" },
    contributor: { asks: "add new recordings to the process", page: "process" },
  },
  processMining: {
    owner: { asks: "take over ownership of the process", page: "process" },
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

  const html = renderHtml({
    title: singleLine(subject),
    kind: input.process.kind,
    greeting,
    sharer,
    asks: wording.asks,
    processName,
    message,
    action,
    link,
  });

  return { subject: singleLine(subject), plainText, html, link };
}

const font = "font-family:'Segoe UI',-apple-system,Helvetica,Arial,sans-serif;";
const brand = "#742774";
const productNames: Readonly<Record<ProcessKind, string>> = {
  taskMining: "Task mining",
  processMining: "Process mining",
};

/**
 * The HTML part: a table layout with inline styles only (Outlook's Word engine ignores most CSS
 * in <style> and every layout that is not a table), a button built from a table cell with a
 * background colour, no images or other remote content, and every value a user typed escaped.
 * Its one link is the invitation's.
 */
function renderHtml(parts: {
  title: string;
  kind: ProcessKind;
  greeting: string;
  sharer: string;
  asks: string;
  processName: string;
  message: string;
  action: string;
  link: string;
}): string {
  const e = escapeHtml;
  const invited = `${e(parts.sharer)} invited you to ${e(parts.asks)} <strong>${e(parts.processName)}</strong>.`;
  const messageBlock =
    parts.message === ""
      ? []
      : [
          '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 24px 0;">',
          "<tr>",
          `<td style="border-left:4px solid ${brand};background-color:#faf9f8;padding:12px 16px;${font}">`,
          `<p style="margin:0 0 8px 0;font-size:13px;line-height:18px;color:#605e5c;">${e(parts.sharer)} wrote:</p>`,
          `<blockquote style="margin:0;font-size:15px;line-height:22px;color:#323130;">${e(parts.message).replace(/\n/g, "<br>")}</blockquote>`,
          "</td>",
          "</tr>",
          "</table>",
        ];
  return [
    "<!doctype html>",
    '<html lang="en"><head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="x-apple-disable-message-reformatting">',
    `<title>${e(parts.title)}</title>`,
    "</head>",
    '<body style="margin:0;padding:0;background-color:#f3f2f1;">',
    // The inbox preview line, hidden in the mail itself.
    `<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">${e(parts.sharer)} invited you to ${e(parts.asks)} ${e(parts.processName)}.</div>`,
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f2f1;">',
    '<tr><td align="center" style="padding:24px 12px;">',
    '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid #e1dfdd;">',
    `<tr><td style="background-color:${brand};padding:16px 24px;${font}font-size:15px;line-height:20px;font-weight:600;color:#ffffff;">${e(productNames[parts.kind])}</td></tr>`,
    `<tr><td style="padding:32px 24px 8px 24px;${font}font-size:16px;line-height:24px;color:#323130;">`,
    `<p style="margin:0 0 16px 0;">${e(parts.greeting)}</p>`,
    `<p style="margin:0 0 24px 0;font-size:18px;line-height:26px;color:#201f1e;">${invited}</p>`,
    ...messageBlock,
    '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 24px 0;">',
    `<tr><td align="center" bgcolor="${brand}" style="background-color:${brand};border-radius:4px;padding:12px 28px;">`,
    `<a href="${e(parts.link)}" target="_blank" rel="noopener noreferrer" style="${font}font-size:16px;line-height:20px;font-weight:600;color:#ffffff;text-decoration:none;display:inline-block;">${e(parts.action)}</a>`,
    "</td></tr>",
    "</table>",
    `<p style="margin:0 0 8px 0;font-size:13px;line-height:18px;color:#605e5c;">Or paste this address into your browser:</p>`,
    `<p style="margin:0 0 24px 0;font-size:13px;line-height:18px;color:#605e5c;word-break:break-all;">${e(parts.link)}</p>`,
    "</td></tr>",
    `<tr><td style="padding:16px 24px;border-top:1px solid #e1dfdd;${font}font-size:12px;line-height:18px;color:#605e5c;">`,
    "You received this email because someone shared a process with you. If you did not expect it, you can ignore it.",
    "</td></tr>",
    "</table>",
    "</td></tr>",
    "</table>",
    "</body></html>",
  ].join("\n");
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
