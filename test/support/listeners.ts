/** Reading what a published Listener holds, for tests. */
import { unpack } from "../../proto/any";
import type { Any } from "../../proto/gen/google/protobuf/any";
import type { HttpConnectionManager } from "../../proto/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager";
import { HcmType, ListenerType } from "../../operator/src/xds/types";

/** The HTTP connection managers of a packed Listener, over its filter chains and its default one. */
export function connectionManagers(listener: Any): HttpConnectionManager[] {
  const l = unpack(ListenerType, listener);
  return [...l.filterChains, ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])]
    .flatMap((fc) => fc.filters)
    .flatMap((f) => (f.typedConfig?.typeUrl === HcmType.typeUrl ? [unpack(HcmType, f.typedConfig)] : []));
}
