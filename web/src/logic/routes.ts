/** The app's few routes, from and to a path. Invitation links point at `/processes/{id}` (and `/analytics`). */

export type Route =
  | { readonly name: "processes" }
  | { readonly name: "process"; readonly id: string }
  | { readonly name: "notFound"; readonly path: string };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/" || path === "/processes") return { name: "processes" };
  const match = /^\/processes\/([^/]+)(?:\/analytics)?$/.exec(path);
  if (match?.[1] !== undefined) {
    try {
      return { name: "process", id: decodeURIComponent(match[1]) };
    } catch {
      return { name: "notFound", path };
    }
  }
  return { name: "notFound", path };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case "processes":
      return "/processes";
    case "process":
      return `/processes/${encodeURIComponent(route.id)}`;
    default:
      return route.path;
  }
}
