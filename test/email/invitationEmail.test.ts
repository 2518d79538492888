import { describe, expect, it } from "vitest";

import type { GrantableRole, ProcessKind } from "../../shared/domain/model.js";
import {
  type InvitationEmailInput,
  invitationMessageMaxLength,
  renderInvitationEmail,
} from "../../shared/email/invitationEmail.js";
import { ValidationError } from "../../shared/errors.js";

const appBaseUrl = "https://app.contoso.example";
const processId = "0b7c4f7e-9a51-4a57-8d1e-2f3c5b6a7d80";

function input(
  kind: ProcessKind,
  role: GrantableRole,
  extra: Partial<InvitationEmailInput> = {},
): InvitationEmailInput {
  return {
    process: { id: processId, name: "Invoice approval", kind },
    role,
    sharerName: "Alice Example",
    recipientName: "Bob Example",
    ...extra,
  };
}

describe("invitation email content", () => {
  it.each([
    ["taskMining", "coOwner", "help manage the process", `${appBaseUrl}/processes/${processId}`],
    [
      "taskMining",
      "contributor",
      "add new recordings to the process",
      `${appBaseUrl}/processes/${processId}`,
    ],
    ["processMining", "coOwner", "help manage the process", `${appBaseUrl}/processes/${processId}`],
    [
      "processMining",
      "viewer",
      "view the analytics of the process",
      `${appBaseUrl}/processes/${processId}/analytics`,
    ],
  ] as const)("a %s %s is asked to %s and linked to %s", (kind, role, asks, link) => {
    const email = renderInvitationEmail(input(kind, role), appBaseUrl);

    expect(email.link).toBe(link);
    expect(email.subject).toBe(`Alice Example invited you to ${asks} "Invoice approval"`);
    expect(email.plainText).toContain(`Alice Example invited you to ${asks} "Invoice approval".`);
    expect(email.plainText).toContain(link);
    expect(email.plainText).toContain("Hello Bob Example,");
    expect(email.html).toContain(`Alice Example invited you to ${asks} <strong>Invoice approval</strong>.`);
    expect(email.html).toContain(`<a href="${link}">`);
  });

  it("refuses a kind and role that have no invitation", () => {
    expect(() => renderInvitationEmail(input("taskMining", "viewer"), appBaseUrl)).toThrow(ValidationError);
    expect(() => renderInvitationEmail(input("processMining", "contributor"), appBaseUrl)).toThrow(
      ValidationError,
    );
  });

  it("carries the personal message, quoted in the plain text and with line breaks in the HTML", () => {
    const email = renderInvitationEmail(
      input("taskMining", "contributor", { message: "Please add last week's recordings.\r\nThanks!" }),
      appBaseUrl,
    );

    expect(email.plainText).toContain(
      "Alice Example wrote:\n> Please add last week's recordings.\n> Thanks!",
    );
    expect(email.html).toContain(
      "<blockquote>Please add last week&#39;s recordings.<br>Thanks!</blockquote>",
    );
  });

  it("leaves the message part out when there is no message", () => {
    const email = renderInvitationEmail(input("taskMining", "contributor", { message: "  " }), appBaseUrl);

    expect(email.plainText).not.toContain("wrote:");
    expect(email.html).not.toContain("<blockquote>");
  });

  it("accepts a message of exactly the limit and refuses one character more with a field error", () => {
    const atLimit = "x".repeat(invitationMessageMaxLength);
    expect(
      renderInvitationEmail(input("taskMining", "coOwner", { message: atLimit }), appBaseUrl).plainText,
    ).toContain(atLimit);

    const error = captureError(() =>
      renderInvitationEmail(input("taskMining", "coOwner", { message: `${atLimit}x` }), appBaseUrl),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe("validation_failed");
    expect((error as ValidationError).errors.map((e) => e.field)).toEqual(["message"]);
  });

  it("builds the link from the configured base URL, keeping its path, with the process id URL-encoded", () => {
    const email = renderInvitationEmail(
      input("processMining", "viewer", {
        process: { id: "../admin?x=1#y", name: "P", kind: "processMining" },
      }),
      "https://app.contoso.example/portal/",
    );

    expect(email.link).toBe("https://app.contoso.example/portal/processes/..%2Fadmin%3Fx%3D1%23y/analytics");
  });

  it("refuses a base URL that is not http(s)", () => {
    expect(() => renderInvitationEmail(input("taskMining", "coOwner"), "javascript:alert(1)")).toThrow(
      /http/,
    );
  });
});

describe("invitation email safety", () => {
  const hostile = {
    sharerName: 'Mallory <script>alert("s")</script>\r\nBcc: victim@example.com',
    recipientName: "<img src=x onerror=alert(1)>",
    processName: "<a href=\"javascript:alert('p')\">click</a>\nSubject: spoof",
    message: "<b>bold</b> <script>alert('m')</script>\n[link](javascript:alert(1)) & \"quotes\"",
  };
  const email = renderInvitationEmail(
    {
      process: { id: processId, name: hostile.processName, kind: "processMining" },
      role: "viewer",
      sharerName: hostile.sharerName,
      recipientName: hostile.recipientName,
      message: hostile.message,
    },
    appBaseUrl,
  );

  it("keeps the subject on one line whatever the names hold", () => {
    expect(email.subject).not.toMatch(/[\r\n\u2028\u2029]/);
    // eslint-disable-next-line no-control-regex
    expect(email.subject).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(email.subject).toContain("Bcc: victim@example.com");
  });

  it("escapes every interpolated value in the HTML part", () => {
    expect(email.html).not.toContain("<script");
    expect(email.html).not.toContain("<img");
    expect(email.html).not.toContain('<a href="javascript');
    expect(email.html).not.toContain("<b>bold");
    expect(email.html).toContain("&lt;script&gt;alert(&quot;s&quot;)&lt;/script&gt;");
    expect(email.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(email.html).toContain("&lt;a href=&quot;javascript:alert(&#39;p&#39;)&quot;&gt;click&lt;/a&gt;");
    expect(email.html).toContain("&amp; &quot;quotes&quot;");
  });

  it("has exactly one link, the configured one", () => {
    expect(email.html.match(/<a /g)).toHaveLength(1);
    expect(email.html.match(/href="([^"]*)"/g)).toEqual([
      `href="${appBaseUrl}/processes/${processId}/analytics"`,
    ]);
  });

  it("keeps names on one line and quotes every message line in the plain text", () => {
    const lines = email.plainText.split("\n");
    expect(lines.filter((line) => line.startsWith("Subject:"))).toEqual([]);
    expect(lines.filter((line) => line.startsWith("Bcc:"))).toEqual([]);
    expect(lines).toContain('> [link](javascript:alert(1)) & "quotes"');
    expect(email.plainText).not.toContain("\r");
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
