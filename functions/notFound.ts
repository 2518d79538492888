import azureFunctions from "@azure/functions";

import { NotFoundError } from "../shared/errors.js";
import { type FunctionHandler, problemResponse } from "../shared/http.js";

const { app } = azureFunctions;

/**
 * Anything under /api that no other function answers: an unknown route, or a known route with a
 * method it does not take (Azure's host treats both as an unknown route), gets the API's own
 * 404 problem instead of the host's empty one. Needs nothing but the request, so it answers even
 * when a dependency is down, and it never echoes the path.
 */
export const notFound: FunctionHandler = (request, context) =>
  Promise.resolve(
    problemResponse(
      new NotFoundError(`No operation of this API answers ${request.method} on this path.`),
      context,
    ),
  );

// The Functions host orders routes by precedence, and a catch-all parameter after the prefix comes
// after every route that has a literal there, whatever the order of registration: this one is last.
app.http("notFound", {
  route: "{*path}",
  methods: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
  authLevel: "anonymous",
  handler: notFound,
});
