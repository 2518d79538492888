import { normalizeId } from "../domain/ids.js";
import type { Clock, Directory, ExpiryNotifier } from "../ports.js";
import { escapeHtml, invitationLink, singleLine } from "./invitationEmail.js";
import { type MailSender, uuidV5 } from "./mailSender.js";

/** Our namespace for name-based notice operation ids (a fixed random UUID; never change it). */
const noticeNamespace = "3e9b6f0c-58d2-4a71-b0c4-9f1a2d7e6b53";

/** One notice per role and expiry: a sweep that runs twice, or dies after the send, never mails twice. */
export function noticeOperationId(processId: string, principalId: string, expiresAt: string): string {
  return uuidV5(
    `expiry-notice/${normalizeId(processId)}/${normalizeId(principalId)}/${expiresAt}`,
    noticeNamespace,
  );
}

/**
 * The notice a share asked for (`notifyBeforeExpiry`): an email to the holder that their role ends
 * soon, through the same mail service and sender address as invitations. Its operation id is
 * derived from the role and its expiry, so the mail service's look-up makes it at most once.
 */
export class ExpiryNoticeMailer implements ExpiryNotifier {
  constructor(
    private readonly mail: MailSender,
    private readonly directory: Directory,
    private readonly appBaseUrl: string,
    /** The service clock: the mail service's repeat window counts from the first attempt on it. */
    private readonly clock: Clock,
  ) {}

  async notify(notice: {
    processId: string;
    processName: string;
    principalId: string;
    expiresAt: string;
  }): Promise<void> {
    const user = (await this.directory.getUsers([notice.principalId])).get(notice.principalId);
    if (user === undefined || !user.accountEnabled) return;
    const operationId = noticeOperationId(notice.processId, notice.principalId, notice.expiresAt);
    const known = await this.mail.lookup(operationId);
    if (known === "running") throw new Error("The notice is still being sent; the next sweep looks again.");
    if (known !== "unknown") return;
    const name = singleLine(notice.processName) || "a process";
    const link = invitationLink(this.appBaseUrl, notice.processId, "process");
    const when = `${notice.expiresAt.slice(0, 16).replace("T", " ")} UTC`;
    const subject = `Your access to "${name.slice(0, 120)}" ends on ${when}`;
    const plainText = [
      `Hello ${singleLine(user.displayName)},`,
      "",
      `Your access to "${name}" ends on ${when}. Ask its owner to extend it if you still need it.`,
      "",
      `Open the process: ${link}`,
    ].join("\n");
    const html = `<!doctype html><html><body style="font-family:'Segoe UI',Helvetica,Arial,sans-serif"><p>Hello ${escapeHtml(singleLine(user.displayName))},</p><p>Your access to <b>${escapeHtml(name)}</b> ends on ${escapeHtml(when)}. Ask its owner to extend it if you still need it.</p><p><a href="${escapeHtml(link)}">Open the process</a></p></body></html>`;
    await this.mail.send(
      {
        to: { address: user.email, displayName: user.displayName },
        subject: singleLine(subject),
        plainText,
        html,
      },
      operationId,
      this.clock.now(),
    );
  }
}
