import azureFunctions from "@azure/functions";
import { z } from "zod";

import { searchPeople } from "../shared/directory/peopleSearch.js";
import { searchLimits } from "../shared/directory/searchLimits.js";
import { authenticated, json, parseQuery } from "../shared/http.js";

const { app } = azureFunctions;

/** `search` is required and at least two characters: one letter would list half the tenant. */
const usersQuery = z
  .object({
    search: z
      .string()
      .trim()
      .min(searchLimits.minLength, `must be at least ${searchLimits.minLength} characters`)
      .max(searchLimits.maxLength, `must be at most ${searchLimits.maxLength} characters`),
    top: z.coerce.number().int().min(1).max(searchLimits.maxTop).default(searchLimits.defaultTop),
  })
  .strict();

/**
 * People picker: members and guests of the tenant whose name or email starts with `search`; a
 * guest caller, by default, the one person with exactly that address (see peopleSearch.ts).
 */
export const listUsers = authenticated(async ({ request, caller, services }) => {
  const { search, top } = parseQuery(request, usersQuery);
  const found = await searchPeople(caller, search, top, {
    directory: services.directory,
    guestSearch: services.config.guestSearch,
  });
  return json(200, {
    value: found.map(({ id, displayName, email, userType }) => ({ id, displayName, email, userType })),
  });
});

app.http("listUsers", { route: "users", methods: ["GET"], authLevel: "anonymous", handler: listUsers });
