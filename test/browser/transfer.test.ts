import { afterAll, beforeAll, expect, test } from "vitest";

import {
  accessibilityViolations,
  type BrowserWorld,
  screenshot,
  startBrowserWorld,
  userId,
} from "./support.js";

/**
 * Ownership transfer (issue 14) in the web app, in Debian's Chromium against the whole local
 * service: the owner offers the process from Manage access, the person offered sees a banner and
 * accepts; the buttons come from the API's `actions`.
 */

let world: BrowserWorld;

beforeAll(async () => {
  world = await startBrowserWorld();
}, 180_000);

afterAll(async () => {
  await world.stop();
});

test(
  "alice offers ownership to bob from Manage access; bob accepts from the banner and owns the process",
  { timeout: 90_000 },
  async () => {
    const created = await world.e2e.call<{ id: string }>("/api/processes", {
      as: "alice",
      method: "POST",
      body: { kind: "taskMining", name: "Month-end close" },
    });
    const id = created.body.id;
    await world.e2e.call(`/api/processes/${id}/access`, {
      as: "alice",
      method: "POST",
      body: { role: "coOwner", recipients: [{ id: userId("bob") }], sendInvitation: false },
    });

    const { page: alice } = await world.signIn("alice");
    await alice.getByRole("link", { name: "Month-end close" }).click();
    await alice.getByRole("button", { name: "Manage access" }).click();
    const manage = alice.getByRole("dialog", { name: /^Manage access/ });
    await manage.getByRole("button", { name: "Make owner: Bob Brown" }).click();
    await manage.getByText(/Bob Brown was offered ownership/).waitFor();
    await manage.getByRole("row", { name: "Bob Brown" }).getByText("Ownership offered").waitFor();
    await manage.getByRole("button", { name: "Withdraw offer to Bob Brown" }).waitFor();
    expect(await accessibilityViolations(alice), "axe on Manage access with an offer").toEqual([]);
    await screenshot(alice, "manage-access-ownership-offer");

    const { page: bob } = await world.signIn("bob");
    await bob.getByRole("link", { name: "Month-end close" }).click();
    const banner = bob.getByRole("region", { name: "Ownership offer" });
    await banner.waitFor();
    expect(await accessibilityViolations(bob), "axe on the ownership offer banner").toEqual([]);
    await screenshot(bob, "ownership-offer-banner");
    await banner.getByRole("button", { name: "Accept ownership" }).click();
    await banner.waitFor({ state: "detached" });

    const after = await world.e2e.call<{ ownerId: string; myRole: string }>(`/api/processes/${id}`, {
      as: "bob",
    });
    expect(after.body).toMatchObject({ ownerId: userId("bob"), myRole: "owner" });
    // Bob now owns it: Manage access offers him "Make owner" for alice, the co-owner now.
    await bob.getByRole("button", { name: "Manage access" }).click();
    await bob
      .getByRole("dialog", { name: /^Manage access/ })
      .getByRole("button", { name: "Make owner: Alice Andersen" })
      .waitFor();
  },
);
