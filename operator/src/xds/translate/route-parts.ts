/**
 * A packed RouteConfiguration as its parts: the bytes without virtual hosts, and each virtual host's bytes. The route
 * layouts (vhds.ts, scoped.ts) work on these parts. A RouteConfiguration assembled by route-encode.ts from kept
 * virtual host fields (ADR 0012) is recorded with its parts ({@link withRouteParts}), so a layout gets an unchanged
 * virtual host as the same bytes object as last pass and can keep what it made of it by identity (layout-memo.ts,
 * ADR 0024); any other RouteConfiguration (a patched or hooked one, a test's) is split from its bytes.
 */
import type { Any } from "../../../../proto/gen/google/protobuf/any";
import { WindowedByName } from "../../ir/list-window";
import { concat, forEachField, readVarint } from "./wire";

/** RouteConfiguration.virtual_hosts and RouteConfiguration.vhds. */
const RC_VIRTUAL_HOSTS_FIELD = 2;
const RC_VHDS_TAG = (9 << 3) | 2;

/** A RouteConfiguration's bytes as the layouts use them. */
export interface RouteParts {
  /** Its fields but virtual hosts (and VHDS), in order. */
  readonly rest: Uint8Array;
  /** Each virtual host's bytes (a VirtualHost message), in order. */
  readonly hosts: readonly Uint8Array[];
}

/** The parts of the packed RouteConfigurations route-encode.ts assembled. */
const recorded = new WeakMap<Any, RouteParts>();
/** The VirtualHost bytes inside each kept virtual host field (one object per field, so kept across passes). */
const values = new WeakMap<Uint8Array, Uint8Array>();

/**
 * A packed RouteConfiguration of type `typeUrl` from its parts: `shell` (encoded without virtual hosts or VHDS) with
 * the virtual host fields `hostFields` (tag, length, VirtualHost) inserted by `assemble`. Its bytes are assembled
 * when first read: the inline layout reads them, the VHDS and scoped layouts use the parts (ADR 0024).
 */
export function withRouteParts(
  typeUrl: string,
  name: string,
  shell: Uint8Array,
  hostFields: readonly Uint8Array[],
  assemble: () => Buffer,
): Any {
  let value: Buffer | undefined;
  const any = {
    typeUrl,
    get value(): Buffer {
      return (value ??= assemble());
    },
  };
  recorded.set(any, { rest: shell, hosts: hostValues.update(name, hostFields) });
  return any;
}

/** The parts of a packed RouteConfiguration: as recorded, else split from its bytes (`split`: only that). */
export function routeParts(any: Any, split = false): RouteParts {
  return (!split && recorded.get(any)) || splitRouteConfiguration(any.value);
}

/** A RouteConfiguration's bytes without its virtual hosts (and VHDS), and each virtual host's bytes. */
export function splitRouteConfiguration(buf: Uint8Array): { rest: Buffer; hosts: Uint8Array[] } {
  const kept: Uint8Array[] = [];
  const hosts: Uint8Array[] = [];
  forEachField(buf, (tag, start, valueStart, end) => {
    if (tag >>> 3 === RC_VIRTUAL_HOSTS_FIELD && (tag & 7) === 2) hosts.push(buf.subarray(valueStart, end));
    else if (tag !== RC_VHDS_TAG) kept.push(buf.subarray(start, end));
  });
  return { rest: concat(kept), hosts };
}

/**
 * The virtual host values of each RouteConfiguration's last fields, by its name (ADR 0030): an unchanged virtual host
 * is the same field object from pass to pass, so a pass looks up the values of its changed window only.
 */
const hostValues = new WindowedByName<Uint8Array, Uint8Array>((f) => fieldValue(f));

/** The value of one length-delimited field (tag, length, value), the same object for the same field. */
function fieldValue(f: Uint8Array): Uint8Array {
  const known = values.get(f);
  if (known) return known;
  const [, afterTag] = readVarint(f, 0);
  const [, valueStart] = readVarint(f, afterTag);
  const value = f.subarray(valueStart);
  values.set(f, value);
  return value;
}
