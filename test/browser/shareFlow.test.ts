import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  accessibilityViolations,
  type BrowserWorld,
  displayName,
  screenshot,
  startBrowserWorld,
  userId,
} from "./support.js";

/**
 * The web app in Debian's Chromium against the whole local service: each flow as a person does
 * it, axe-core on every screen, a screenshot of each. Waiting is for what the page shows (the
 * locator's own wait), never for a fixed time.
 */

let world: BrowserWorld;

beforeAll(async () => {
  world = await startBrowserWorld();
}, 180_000);

afterAll(async () => {
  await world.stop();
});

async function expectAccessible(page: Page, screen: string): Promise<void> {
  expect(await accessibilityViolations(page), `axe on ${screen}`).toEqual([]);
}

/** Creates a process through the New process dialog and lands on its details. */
async function createProcess(
  page: Page,
  kind: "Process mining" | "Task mining",
  name: string,
): Promise<string> {
  await page.getByRole("button", { name: "New process" }).click();
  const dialog = page.getByRole("form", { name: "New process" });
  await dialog.getByRole("radio", { name: kind }).check();
  await dialog.getByRole("textbox", { name: "Name" }).fill(name);
  await dialog.getByRole("button", { name: "Create" }).click();
  await page.getByRole("heading", { name, level: 1 }).waitFor();
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
}

async function openProcess(page: Page, name: string): Promise<void> {
  await page.getByRole("link", { name }).click();
  await page.getByRole("heading", { name, level: 1 }).waitFor();
}

async function shareWith(page: Page, search: string, person: string, role: string): Promise<void> {
  await page.getByRole("button", { name: "Share", exact: true }).click();
  const panel = page.getByRole("dialog", { name: /^Share / });
  await panel.getByRole("combobox", { name: "Search people" }).fill(search);
  await page.getByRole("option", { name: new RegExp(person) }).click();
  await panel.getByRole("radio", { name: new RegExp(`^${role}:`) }).check();
  await panel.getByRole("button", { name: "Share", exact: true }).click();
  await panel.getByRole("list", { name: "Share results" }).waitFor();
  await panel.getByRole("button", { name: "Close", exact: true }).first().click();
}

describe("the share panel in a real browser", { timeout: 90_000 }, () => {
  let processId = "";

  test('alice creates a process, finds bob by typing "bo", shares with an invitation, sees it pending then sent, and the mail arrives', async () => {
    const { page } = await world.signIn("alice");
    await expectAccessible(page, "the process list");
    await screenshot(page, "processes");

    processId = await createProcess(page, "Process mining", "Order to cash");
    await expectAccessible(page, "the details");
    await screenshot(page, "details");

    await page.getByRole("button", { name: "Share", exact: true }).click();
    const panel = page.getByRole("dialog", { name: "Share Order to cash" });
    await panel.getByRole("combobox", { name: "Search people" }).fill("bo");
    // The suggestions open in a popover of the page, outside the panel's own element.
    const bob = page.getByRole("option", { name: /Bob Brown/ });
    await bob.waitFor();
    await expectAccessible(page, "the share panel with suggestions");
    await screenshot(page, "share-panel");
    await bob.click();
    expect(await panel.getByRole("checkbox", { name: "Send an email invitation" }).isChecked()).toBe(true);
    // Process mining offers viewer and co-owner, nothing else.
    expect(await panel.getByRole("radio").count()).toBe(2);
    expect(await panel.getByRole("radio", { name: /^Viewer:/ }).isChecked()).toBe(true);
    expect(await panel.getByRole("radio", { name: /^Co-owner:/ }).count()).toBe(1);
    await panel.getByRole("textbox", { name: "Message (optional)" }).fill("Have a look at the order flow");
    await panel.getByText("29 / 2,000 characters").waitFor();

    world.mail.hold();
    await panel.getByRole("button", { name: "Share", exact: true }).click();
    await panel.getByText("Bob Brown: now has access").waitFor();
    await expectAccessible(page, "the share panel with results");
    await panel.getByRole("button", { name: "Close", exact: true }).first().click();

    await page.getByRole("button", { name: "Manage access" }).click();
    const manage = page.getByRole("dialog", { name: "Manage access to Order to cash" });
    const bobRow = manage.getByRole("row", { name: "Bob Brown" });
    await bobRow.getByText("Invitation pending").waitFor();
    world.mail.release();
    await bobRow.getByText("Invitation sent").waitFor();
    await expectAccessible(page, "manage access");
    await screenshot(page, "manage-access");

    // Sent a moment ago: a re-send is refused for the cooldown (429 + Retry-After), and the page says how long.
    await bobRow.getByRole("button", { name: "Re-send the invitation to Bob Brown" }).click();
    await manage.getByText(/Bob Brown was invited a moment ago\. You can re-send in \d+ minutes\./).waitFor();
    expect(
      await bobRow.getByRole("button", { name: "Re-send the invitation to Bob Brown" }).isDisabled(),
    ).toBe(true);

    const mails = await world.e2e.mailbox();
    const mail = mails.find((message) => message.to.some((to) => to.address === "bob@contoso.example"));
    expect(mail?.plainText).toContain("Have a look at the order flow");
    expect(mail?.plainText).toContain(`/processes/${processId}`);
  });

  test("bob signs in and sees the process; alice changes his role and removes him; bob then sees it as revoked", async () => {
    const { page: bob } = await world.signIn("bob");
    const row = bob.getByRole("row", { name: /Order to cash/ });
    await row.getByText("Viewer").waitFor();
    await openProcess(bob, "Order to cash");
    // A viewer may not share or manage: the API's actions say so, the page shows none.
    expect(await bob.getByRole("button", { name: "Share", exact: true }).count()).toBe(0);
    expect(await bob.getByRole("button", { name: "Manage access" }).count()).toBe(0);

    const { page: alice } = await world.signIn("alice");
    await openProcess(alice, "Order to cash");
    await alice.getByRole("button", { name: "Manage access" }).click();
    const manage = alice.getByRole("dialog", { name: /^Manage access/ });
    await manage.getByRole("combobox", { name: "Role of Bob Brown" }).click();
    await alice.getByRole("option", { name: "Co-owner" }).click();
    await manage.getByText("Bob Brown is now Co-owner.").waitFor();
    const access = await world.e2e.call(`/api/processes/${processId}/access`, { as: "alice" });
    expect(access.body.value.find((entry: any) => entry.principalId === userId("bob")).role).toBe("coOwner");

    await manage.getByRole("button", { name: "Remove Bob Brown" }).click();
    await manage.getByText("Bob Brown no longer has access.").waitFor();
    await manage.getByRole("row", { name: "Bob Brown" }).waitFor({ state: "detached" });

    await bob.getByRole("button", { name: "Processes", exact: true }).first().click();
    await bob.reload();
    const revoked = bob.getByRole("row", { name: /Order to cash/ });
    await revoked.getByText("Access removed").waitFor();
    expect(await revoked.getByRole("link").count(), "a revoked process offers nothing").toBe(0);
    await expectAccessible(bob, "the list with a revoked process");
    await screenshot(bob, "processes-revoked");
  });

  test("a contributor sees no Share, and adds and labels a recording of their own", async () => {
    const { page: alice } = await world.signIn("alice");
    await createProcess(alice, "Task mining", "Invoice entry");
    await shareWith(alice, "car", "Carol Castillo", "Contributor");

    const { page: carol } = await world.signIn("carol");
    await openProcess(carol, "Invoice entry");
    await carol.getByText("Contributor").first().waitFor();
    expect(await carol.getByRole("button", { name: "Share", exact: true }).count()).toBe(0);
    expect(await carol.getByRole("button", { name: "Edit" }).count()).toBe(0);
    await carol.getByRole("textbox", { name: "Recording name" }).fill("Monday batch");
    await carol.getByRole("textbox", { name: "Labels (comma-separated)" }).fill("finance, batch");
    await carol.getByRole("button", { name: "Add recording" }).click();
    await carol.getByRole("row", { name: "Monday batch" }).getByText("finance").waitFor();
    await carol.getByRole("button", { name: "Label Monday batch" }).click();
    await carol.getByRole("textbox", { name: "Labels of Monday batch" }).fill("finance, weekly");
    await carol.getByRole("button", { name: "Save labels" }).click();
    await carol.getByRole("row", { name: "Monday batch" }).getByText("weekly").waitFor();
    await expectAccessible(carol, "the details of a task mining process (contributor)");
    await screenshot(carol, "recordings");
  });

  test("a guest is tagged in the picker and in the access list", async () => {
    const { page } = await world.signIn("alice");
    await openProcess(page, "Invoice entry");
    await page.getByRole("button", { name: "Share", exact: true }).click();
    const panel = page.getByRole("dialog", { name: /^Share / });
    await panel.getByRole("combobox", { name: "Search people" }).fill("erin");
    const erin = page.getByRole("option", { name: /Erin Eriksen/ });
    await erin.getByText("Guest").waitFor();
    await erin.click();
    await panel.getByRole("button", { name: "Share", exact: true }).click();
    await panel.getByText(/Erin Eriksen \(Fabrikam\): now has access/).waitFor();
    await panel.getByRole("button", { name: "Close", exact: true }).first().click();
    await page.getByRole("button", { name: "Manage access" }).click();
    const row = page
      .getByRole("dialog", { name: /^Manage access/ })
      .getByRole("row", { name: /Erin Eriksen/ });
    await row.getByText("Guest", { exact: true }).waitFor();
  });

  test("a share with an Access ends date shows when access ends in Manage access", async () => {
    const { page } = await world.signIn("alice");
    await createProcess(page, "Task mining", "Month end close");
    await page.getByRole("button", { name: "Share", exact: true }).click();
    const panel = page.getByRole("dialog", { name: /^Share / });
    await panel.getByRole("combobox", { name: "Search people" }).fill("car");
    await page.getByRole("option", { name: /Carol Castillo/ }).click();
    const ends = new Date(Date.now() + 30 * 86_400_000);
    const date = `${ends.getFullYear()}-${String(ends.getMonth() + 1).padStart(2, "0")}-${String(ends.getDate()).padStart(2, "0")}`;
    await panel.getByLabel("Access ends (optional)").fill(date);
    await expectAccessible(page, "the share panel with an end of access");
    await panel.getByRole("button", { name: "Share", exact: true }).click();
    await panel.getByText(/Carol Castillo: now has access/).waitFor();
    await panel.getByRole("button", { name: "Close", exact: true }).first().click();
    await page.getByRole("button", { name: "Manage access" }).click();
    const row = page
      .getByRole("dialog", { name: /^Manage access/ })
      .getByRole("row", { name: /Carol Castillo/ });
    const words = ends.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
    await row.getByText(`Access ends ${words}`).waitFor();
  });

  test("an administrator is not listed on a process mining process", async () => {
    const { page } = await world.signIn("alice");
    await createProcess(page, "Process mining", "Procure to pay");
    await shareWith(page, "dav", displayName("dave"), "Viewer");
    await shareWith(page, "car", "Carol Castillo", "Viewer");
    await page.getByRole("button", { name: "Manage access" }).click();
    const manage = page.getByRole("dialog", { name: /^Manage access/ });
    await manage.getByRole("row", { name: "Carol Castillo" }).waitFor();
    expect(await manage.getByRole("row", { name: displayName("dave") }).count()).toBe(0);
    // The owner is marked and cannot be removed or changed: their only button explains their access.
    const owner = manage.getByRole("row", { name: "Alice Andersen" });
    await owner.getByText("Owner", { exact: true }).waitFor();
    expect(await owner.getByRole("button").allInnerTexts()).toEqual(["Why?"]);
    expect(await owner.getByRole("combobox").count()).toBe(0);
  });

  test("a share with one unknown address shows the partial failure in words", async () => {
    const { page } = await world.signIn("alice");
    await openProcess(page, "Procure to pay");
    await page.getByRole("button", { name: "Share", exact: true }).click();
    const panel = page.getByRole("dialog", { name: /^Share / });
    const search = panel.getByRole("combobox", { name: "Search people" });
    await search.fill("bo");
    await page.getByRole("option", { name: /Bob Brown/ }).click();
    await search.fill("nobody@contoso.example");
    await page.getByRole("option", { name: "Share with nobody@contoso.example" }).click();
    await panel.getByRole("button", { name: "Share", exact: true }).click();
    await panel.getByText("Shared with 1 of 2 people; 1 failed.").waitFor();
    await panel.getByText("Bob Brown: now has access").waitFor();
    await panel.getByText("nobody@contoso.example: No one in your organization has this address.").waitFor();
    await expectAccessible(page, "the share panel with a partial failure");
    await screenshot(page, "share-partial-failure");
  });

  test("an edit conflict is explained and offers to reload", async () => {
    const { page } = await world.signIn("alice");
    await openProcess(page, "Procure to pay");
    await page.getByRole("button", { name: "Edit" }).click();
    // Someone else saves first.
    const changed = await world.e2e.call(`/api/processes/${await idOf("Procure to pay")}`, {
      as: "alice",
      method: "PATCH",
      body: { description: "Changed elsewhere" },
    });
    expect(changed.status).toBe(200);
    await page.getByRole("textbox", { name: "Description" }).fill("My version");
    await page.getByRole("button", { name: "Save" }).click();
    await page
      .getByText("Someone else changed this process since you opened it.", { exact: false })
      .waitFor();
    await expectAccessible(page, "the edit conflict");
    await screenshot(page, "edit-conflict");
    await page.getByRole("button", { name: "Reload" }).click();
    await page.getByText("Changed elsewhere").waitFor();
  });

  test("the whole share flow works with the keyboard alone", async () => {
    const { page } = await world.signIn("alice");
    const name = "Keyboard only";
    await createProcess(page, "Task mining", name);
    const keys = page.keyboard;
    /** The focused element as "role name", e.g. "button Share" or "combobox Search people". */
    const focusedName = (): Promise<string> =>
      page.evaluate(() => {
        const doc = (globalThis as any).document;
        const element = doc.activeElement;
        if (element === null || element === doc.body) return "body";
        const role: string = element.getAttribute("role") ?? element.tagName.toLowerCase();
        const label: string = element.getAttribute("aria-label") ?? element.textContent ?? "";
        return `${role === "input" && element.getAttribute("type") === "radio" ? "radio" : role} ${label.trim()}`;
      });
    // Tab from the page's start to the Share button.
    await page.locator("body").focus();
    for (let presses = 0; presses < 20 && !/^button Share$/.test(await focusedName()); presses += 1)
      await keys.press("Tab");
    expect(await focusedName()).toBe("button Share");
    await keys.press("Enter");
    const panel = page.getByRole("dialog", { name: `Share ${name}` });
    await panel.waitFor();
    // Focus is in the panel; reach the people search.
    for (let presses = 0; presses < 10 && !/^combobox Search people$/.test(await focusedName()); presses += 1)
      await keys.press("Tab");
    await keys.type("bo");
    await page.getByRole("option", { name: /Bob Brown/ }).waitFor();
    await keys.press("ArrowDown");
    await keys.press("Enter");
    await panel
      .getByRole("listbox", { name: "People to share with" })
      .getByRole("option", { name: /Bob Brown/ })
      .waitFor();
    // On to the roles: Tab into the group, arrows choose.
    for (let presses = 0; presses < 10 && !/^radio/.test(await focusedName()); presses += 1)
      await keys.press("Tab");
    await keys.press("ArrowDown");
    expect(await panel.getByRole("radio", { name: /^Co-owner/ }).isChecked()).toBe(true);
    for (let presses = 0; presses < 10 && !/^button Share$/.test(await focusedName()); presses += 1)
      await keys.press("Tab");
    expect(await focusedName()).toBe("button Share");
    await keys.press("Enter");
    await panel.getByText("Bob Brown: now has access").waitFor();
    await keys.press("Escape");
    await panel.waitFor({ state: "hidden" });
    const access = await world.e2e.call(`/api/processes/${await idOf(name)}/access`, { as: "alice" });
    expect(access.body.value.find((entry: any) => entry.principalId === userId("bob")).role).toBe("coOwner");
  });
});

describe("leave and delete", { timeout: 90_000 }, () => {
  test("a contributor leaves (the process stays listed as removed); the owner deletes it (gone from every list)", async () => {
    const { page: carol } = await world.signIn("carol");
    await openProcess(carol, "Invoice entry");
    await carol
      .getByRole("toolbar", { name: "Process actions" })
      .getByRole("button", { name: "Leave" })
      .click();
    await carol
      .getByRole("alertdialog", { name: "Leave this process?" })
      .getByRole("button", { name: "Leave" })
      .click();
    await carol.getByRole("heading", { name: "Processes", level: 1 }).waitFor();
    await carol
      .getByRole("row", { name: /Invoice entry/ })
      .getByText("Access removed")
      .waitFor();

    const { page: alice } = await world.signIn("alice");
    await openProcess(alice, "Invoice entry");
    // The owner cannot leave, so the page offers no Leave.
    const toolbar = alice.getByRole("toolbar", { name: "Process actions" });
    expect(await toolbar.getByRole("button", { name: "Leave" }).count()).toBe(0);
    await toolbar.getByRole("button", { name: "Delete" }).click();
    await alice
      .getByRole("alertdialog", { name: "Delete this process?" })
      .getByRole("button", { name: "Delete" })
      .click();
    await alice.getByRole("heading", { name: "Processes", level: 1 }).waitFor();
    await alice
      .getByRole("table", { name: "Processes" })
      .getByRole("row", { name: /Order to cash/ })
      .waitFor();
    expect(await alice.getByRole("row", { name: /Invoice entry/ }).count()).toBe(0);
    const carolsList = await world.e2e.call("/api/processes?top=100", { as: "carol" });
    expect(carolsList.body.value.map((process: any) => process.name)).not.toContain("Invoice entry");
  });
});

describe("lists and sign-in", { timeout: 90_000 }, () => {
  test("a long list is paged through nextLink: Load more appends the next page", async () => {
    for (let index = 1; index <= 22; index += 1) {
      const created = await world.e2e.call("/api/processes", {
        as: "frank",
        method: "POST",
        body: { kind: "taskMining", name: `Batch ${String(index).padStart(2, "0")}` },
      });
      expect(created.status).toBe(201);
    }
    const { page } = await world.signIn("frank");
    const rows = page.getByRole("table", { name: "Processes" }).getByRole("row");
    await page.getByRole("button", { name: "Load more" }).waitFor();
    expect(await rows.count()).toBe(1 + 20);
    await page.getByRole("button", { name: "Load more" }).click();
    // The header row and 22 processes; the button hides while loading, so it is the rows that tell.
    await rows.nth(22).waitFor();
    expect(await rows.count()).toBe(1 + 22);
    expect(
      await page.getByRole("button", { name: "Load more" }).count(),
      "the last page has no nextLink",
    ).toBe(0);
  });

  test("a token the API refuses (401) sends the user back to sign-in, saying why", async () => {
    const { page } = await world.signIn("carol");
    await page.evaluate(() => {
      const storage = (globalThis as any).sessionStorage;
      const key = "process-sharing.dev-session";
      storage.setItem(key, JSON.stringify({ ...JSON.parse(storage.getItem(key)), token: "not-a-token" }));
    });
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByText("Your sign-in has expired. Sign in again.").waitFor();
    await expectAccessible(page, "sign-in");
    await screenshot(page, "sign-in");
  });
});

async function idOf(name: string): Promise<string> {
  const list = await world.e2e.call("/api/processes?top=100", { as: "alice" });
  const found = list.body.value.find((process: any) => process.name === name);
  if (found === undefined) throw new Error(`alice has no process named ${name}`);
  return found.id as string;
}
