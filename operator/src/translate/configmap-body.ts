/** A response body kept in a ConfigMap (BackendTrafficPolicy `responseOverride`, HTTPRouteFilter `directResponse`). */
import type { ConfigMap } from "../resources/core";

/** Envoy Gateway's ConfigMap key for a response body. */
export const RESPONSE_BODY_KEY = "response.body";

/**
 * The body a ConfigMap holds, as Envoy Gateway reads it: key `response.body`, else the first `data` key, else the
 * first `binaryData` key (decoded); undefined when the ConfigMap has no key at all.
 */
export function configMapBody(cm: ConfigMap): string | undefined {
  const data = cm.data ?? {};
  const binary = (cm as { binaryData?: Readonly<Record<string, string>> }).binaryData ?? {};
  const first = Object.keys(data).sort()[0];
  const firstBinary = Object.keys(binary).sort()[0];
  if (data[RESPONSE_BODY_KEY] !== undefined) return data[RESPONSE_BODY_KEY];
  if (first !== undefined) return data[first];
  if (firstBinary !== undefined) return Buffer.from(binary[firstBinary], "base64").toString("utf8");
  return undefined;
}
