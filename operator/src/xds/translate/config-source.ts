/** The ConfigSource every dynamic resource uses: the same ADS stream. */
import { ApiVersion, type ConfigSource } from "../../../../proto/gen/envoy/config/core/v3/config_source";

/** "Fetch over ADS, v3". */
export function adsConfigSource(): ConfigSource {
  return { ads: {}, resourceApiVersion: ApiVersion.V3 } as ConfigSource;
}

/** "Read this file (and watch it)", v3: a file-based SDS resource the proxy has. */
export function fileConfigSource(path: string): ConfigSource {
  return { pathConfigSource: { path }, resourceApiVersion: ApiVersion.V3 } as ConfigSource;
}
