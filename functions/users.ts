import azureFunctions from "@azure/functions";
import { z } from "zod";

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

/** People picker: members and guests of the tenant whose name or email starts with `search`. */
export const listUsers = authenticated(async ({ request, services }) => {
  const { search, top } = parseQuery(request, usersQuery);
  const found = await services.directory.search(search, top);
  return json(200, {
    value: found.map(({ id, displayName, email, userType }) => ({ id, displayName, email, userType })),
  });
});

app.http("listUsers", { route: "users", methods: ["GET"], authLevel: "anonymous", handler: listUsers });
