// The app's entry (package.json `main`): importing a function file registers its functions, so
// the Azure host, the local host and the tests all see the same registrations.
import "./processes.js";
import "./access.js";
import "./transfer.js";
import "./me.js";
import "./users.js";
import "./recordings.js";
import "./openapi.js";
import "./invitations.js";
import "./expiry.js";
// Last, though the host's route precedence, not this order, is what puts it after every other route.
import "./notFound.js";

import azureFunctions from "@azure/functions";

import { getConfig } from "../shared/config.js";

// A missing or malformed setting stops the app at start, naming the setting, not at the first request.
azureFunctions.app.hook.appStart(() => {
  getConfig();
});
