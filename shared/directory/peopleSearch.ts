import { z } from "zod";

import type { GuestSearch } from "../config.js";
import type { Caller, DirectoryUser } from "../domain/model.js";
import { ForbiddenError } from "../errors.js";
import type { Directory } from "../ports.js";

/**
 * The people picker. Members search the tenant by prefix; guests, whom Entra's default guest
 * restrictions keep from enumerating the directory, may by default only look up one person by
 * their whole address (`USERS_GUEST_SEARCH`: `exactAddress`, `none` or `prefix`).
 *
 * Who is a guest: the token's optional `acct` claim (1 guest, 0 member) when the app
 * registration asks for it; otherwise the caller's own `userType` in the directory (one
 * cached lookup). A caller the directory does not know is treated as a guest.
 */
export async function searchPeople(
  caller: Caller,
  search: string,
  top: number,
  options: { readonly directory: Directory; readonly guestSearch: GuestSearch },
): Promise<DirectoryUser[]> {
  const { directory, guestSearch } = options;
  if (guestSearch === "prefix" || !(await isGuest(caller, directory))) {
    return await directory.search(search, top);
  }
  if (guestSearch === "none") {
    throw new ForbiddenError("guest_search_restricted", "Guests cannot search this organization's people.");
  }
  if (!z.email().safeParse(search).success) {
    throw new ForbiddenError(
      "guest_search_restricted",
      "Guests can look a person up by their whole email address only.",
    );
  }
  const [found] = await directory.resolve([{ email: search }]);
  return found?.outcome === "user" ? [found.user] : [];
}

async function isGuest(caller: Caller, directory: Directory): Promise<boolean> {
  if (caller.guest !== undefined) return caller.guest;
  const [self] = (await directory.getUsers([caller.id])).values();
  return self?.userType !== "Member";
}
