import { useEffect, useState } from "react";

import { parseRoute, type Route, routePath } from "./logic/routes.js";

/** The current route, following the history; `navigate` pushes a new entry. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = (): void => {
      setRoute(parseRoute(window.location.pathname));
    };
    window.addEventListener("popstate", update);
    window.addEventListener("app:navigate", update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener("app:navigate", update);
    };
  }, []);
  return route;
}

export function navigate(route: Route): void {
  window.history.pushState(null, "", routePath(route));
  window.dispatchEvent(new Event("app:navigate"));
  window.scrollTo(0, 0);
}
