import { afterAll, beforeAll, expect, test } from "vitest";

import {
  accessibilityViolations,
  type BrowserWorld,
  screenshot,
  startBrowserWorld,
  userId,
} from "./support.js";

/**
 * "Why?" in Manage access: the API's explanation of a holder's access, in words, in a dialog
 * that the keyboard opens and closes.
 */

let world: BrowserWorld;

beforeAll(async () => {
  world = await startBrowserWorld();
}, 180_000);

afterAll(async () => {
  await world.stop();
});

test(
  "alice opens bob's explanation with the keyboard: read comes from his contributor role, delete is not in it; Escape closes",
  { timeout: 90_000 },
  async () => {
    const created = await world.e2e.call<{ id: string }>("/api/processes", {
      as: "alice",
      method: "POST",
      body: { kind: "taskMining", name: "Invoice capture" },
    });
    await world.e2e.call(`/api/processes/${created.body.id}/access`, {
      as: "alice",
      method: "POST",
      body: { role: "contributor", recipients: [{ id: userId("bob") }], sendInvitation: false },
    });

    const { page: alice } = await world.signIn("alice");
    await alice.getByRole("link", { name: "Invoice capture" }).click();
    await alice.getByRole("button", { name: "Manage access" }).click();
    const manage = alice.getByRole("dialog", { name: /^Manage access/ });
    const why = manage.getByRole("button", { name: "Why? Explain the access of Bob Brown" });
    await why.waitFor();

    // Tab to the button, as someone without a mouse would (bounded: the panel has few stops).
    let reached = false;
    for (let step = 0; step < 40 && !reached; step++) {
      await alice.keyboard.press("Tab");
      reached = await why.evaluate((button) => button === button.ownerDocument.activeElement);
    }
    expect(reached, "Tab reaches bob's Why? button").toBe(true);
    await alice.keyboard.press("Enter");

    const dialog = alice.getByRole("dialog", { name: "Access of Bob Brown" });
    const list = dialog.getByRole("list", { name: "What Bob Brown can do, and why" });
    await list.waitFor();
    const read = list.locator('[data-action="read"]');
    await expect.poll(() => read.innerText()).toMatch(/Allowed[\s\S]*Their role, Contributor, includes it\./);
    const remove = list.locator('[data-action="delete"]');
    expect(await remove.innerText()).toMatch(
      /Not allowed[\s\S]*Their role, Contributor, does not include it\./,
    );
    expect(await list.locator('[data-action="acceptOwnership"]').innerText()).toMatch(
      /No ownership offer names them\./,
    );
    expect(await accessibilityViolations(alice), "axe on the open explanation").toEqual([]);
    await screenshot(alice, "explain");

    await alice.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    // Only the explanation closed: Manage access stays, focus back on the button.
    await manage.waitFor();
    expect(await why.evaluate((button) => button === button.ownerDocument.activeElement)).toBe(true);
  },
);
