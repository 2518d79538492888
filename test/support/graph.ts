import { type GraphStandIn, type GraphStandInOptions, startGraphStandIn } from "../../local/graph.js";
import type { DirectoryConfig } from "../../shared/config.js";
import { type DevDirectoryData, readDevDirectory } from "../../shared/directory/devDirectory.js";

export const testGraphClientId = "5d0c6a4e-2b7f-4c3a-9e61-0f8d2a7b3c11";
export const testGraphSecret = "stand-in-client-secret";
export const testApiServicePrincipalId = "8b2e4f10-6c3d-4a5e-b7f9-1a2b3c4d5e6f";

export interface TestGraph {
  readonly graph: GraphStandIn;
  /** Settings for the Graph directory pointed at the stand-in, signing in with a client secret. */
  readonly config: DirectoryConfig;
  close(): Promise<void>;
}

/** The Graph and token endpoint stand-in on a free loopback port, with the directory settings that reach it. */
export async function startTestGraph(
  options: Partial<GraphStandInOptions> & { directory?: DevDirectoryData } = {},
): Promise<TestGraph> {
  const directory = options.directory ?? readDevDirectory();
  const graph = await startGraphStandIn({
    clientId: testGraphClientId,
    clientSecret: testGraphSecret,
    servicePrincipalId: testApiServicePrincipalId,
    ...options,
    directory,
  });
  const config: DirectoryConfig = {
    mode: "graph",
    graphBaseUrl: graph.url,
    authorityHost: graph.url,
    tenantId: directory.tenantId,
    clientId: testGraphClientId,
    clientSecret: testGraphSecret,
    apiServicePrincipalId: testApiServicePrincipalId,
  };
  return { graph, config, close: () => graph.close() };
}
