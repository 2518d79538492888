import { describe, expect, it } from "vitest";

import type { GrantableRole, ProcessKind } from "../../shared/domain/model.js";
import {
  type InvitationEmailInput,
  invitationMessageMaxLength,
  renderInvitationEmail,
} from "../../shared/email/invitationEmail.js";
import { ValidationError } from "../../shared/errors.js";
import { allElements, type Element, parseDocument } from "./html.js";

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
    const links = allElements(parseDocument(email.html)).filter((element) => element.tag === "a");
    expect(links.map((a) => [a.attrs.href, a.text])).toEqual([
      [link, link.endsWith("/analytics") ? "Open the analytics" : "Open the process"],
    ]);
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
    const [quote] = allElements(parseDocument(email.html)).filter((element) => element.tag === "blockquote");
    expect(quote?.text).toBe("Please add last week's recordings.\nThanks!");
    expect(email.html).toContain("Please add last week&#39;s recordings.<br>Thanks!</blockquote>");
  });

  it("leaves the message part out when there is no message", () => {
    const email = renderInvitationEmail(input("taskMining", "contributor", { message: "  " }), appBaseUrl);

    expect(email.plainText).not.toContain("wrote:");
    expect(email.html).not.toContain("<blockquote");
    expect(email.html).not.toContain("wrote:");
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

describe("the HTML part is designed for mail clients, Outlook included", () => {
  const email = renderInvitationEmail(
    input("taskMining", "contributor", { message: "Welcome aboard." }),
    appBaseUrl,
  );
  const document = parseDocument(email.html);
  const elements = allElements(document);
  const body = elements.find((element) => element.tag === "body") as Element;

  it("lays out with presentation tables and inline styles only: no <style>, no classes, nothing remote", () => {
    const layout = body.children.find((element) => element.tag === "table");
    expect(layout?.attrs.role).toBe("presentation");
    expect(layout?.attrs.width).toBe("100%");
    const card = allElements(layout as Element).find((element) => element.attrs.width === "600");
    expect(card?.tag).toBe("table");
    expect(card?.attrs.style).toContain("max-width:600px");
    expect(
      elements.filter((element) => element.tag === "table").every((t) => t.attrs.role === "presentation"),
    ).toBe(true);
    expect(
      elements.filter((element) => ["style", "link", "script", "img", "iframe"].includes(element.tag)),
    ).toEqual([]);
    expect(elements.filter((element) => "class" in element.attrs || "src" in element.attrs)).toEqual([]);
    expect(email.html).not.toMatch(/url\(|@import/i);
  });

  it("has a clear button to the process: a coloured table cell holding the one link", () => {
    const cells = elements.filter((element) => element.tag === "td" && element.attrs.bgcolor !== undefined);
    expect(cells).toHaveLength(1);
    const [button] = cells;
    expect(button?.attrs.style).toContain("background-color:");
    const [anchor] = button?.children ?? [];
    expect(anchor?.tag).toBe("a");
    expect(anchor?.attrs.href).toBe(`${appBaseUrl}/processes/${processId}`);
    expect(anchor?.attrs.style).toContain("color:#ffffff");
    expect(anchor?.text).toBe("Open the process");
    // The address is also there as text, for clients that block links.
    expect(body.text).toContain(`${appBaseUrl}/processes/${processId}`);
  });

  it("says who shared it, with their message, and keeps the plain-text part", () => {
    expect(body.text).toContain("Hello Bob Example,");
    expect(body.text).toContain(
      "Alice Example invited you to add new recordings to the process Invoice approval.",
    );
    expect(body.text).toContain("Alice Example wrote:");
    expect(elements.find((element) => element.tag === "blockquote")?.text).toBe("Welcome aboard.");
    expect(elements.find((element) => element.tag === "title")?.text).toBe(email.subject);
    expect(email.plainText).toContain("> Welcome aboard.");
    expect(email.plainText).toContain(`Open the process: ${appBaseUrl}/processes/${processId}`);
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

  it("parsed as a browser would, holds only the template's elements and attributes, and shows the hostile values as text", () => {
    const elements = allElements(parseDocument(email.html));
    const template = new Set([
      "html",
      "head",
      "meta",
      "title",
      "body",
      "div",
      "table",
      "tbody",
      "tr",
      "td",
      "p",
      "strong",
      "blockquote",
      "br",
      "a",
    ]);
    expect(elements.map((element) => element.tag).filter((tag) => !template.has(tag))).toEqual([]);
    const attributes = new Set(elements.flatMap((element) => Object.keys(element.attrs)));
    expect([...attributes].filter((name) => name.startsWith("on"))).toEqual([]);
    expect([...attributes].sort()).toEqual(
      [
        "align",
        "bgcolor",
        "border",
        "cellpadding",
        "cellspacing",
        "charset",
        "content",
        "href",
        "lang",
        "name",
        "rel",
        "role",
        "style",
        "target",
        "width",
      ].sort(),
    );
    const text = elements[0]?.text ?? "";
    expect(text).toContain('Mallory <script>alert("s")</script> Bcc: victim@example.com');
    expect(text).toContain("<img src=x onerror=alert(1)>");
    expect(text).toContain("<a href=\"javascript:alert('p')\">click</a> Subject: spoof");
    expect(text).toContain(
      "<b>bold</b> <script>alert('m')</script>\n[link](javascript:alert(1)) & \"quotes\"",
    );
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
