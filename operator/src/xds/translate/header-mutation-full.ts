/**
 * Envoy 1.36's header mutation messages, encoded here by hand: the pinned proto source (the Envoy API jar
 * io.envoyproxy.controlplane:api 1.0.49, ADR 0004) predates `config.common.mutation_rules.v3.HeaderMutation.remove_on_match` (field 3), which
 * ClientTrafficPolicy's `earlyRequestHeaders.removeOnMatch` / `lateResponseHeaders.removeOnMatch` need. Field
 * numbers follow Envoy's protos (mutation_rules.proto, early_header_mutation and header_mutation filter
 * header_mutation.proto). The two configs that carry mutations are registered under their type URLs (in place
 * of the generated codecs), so goldens show every field.
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { registerType } from "../../../../proto/any";
import { HeaderValueOption } from "../../../../proto/gen/envoy/config/core/v3/base";
import { StringMatcher } from "../../../../proto/gen/envoy/type/matcher/v3/string";

/** config.common.mutation_rules.v3.HeaderMutation: one of remove, append, remove_on_match. */
export interface HeaderMutationFull {
  readonly remove?: string;
  readonly append?: HeaderValueOption;
  readonly removeOnMatch?: { readonly keyMatcher: StringMatcher };
}

const LEN = 2;
const tag = (field: number): number => (field << 3) | LEN;

function encodeMutation(m: HeaderMutationFull, w: BinaryWriter): void {
  if (m.remove !== undefined) w.uint32(tag(1)).string(m.remove);
  if (m.append) HeaderValueOption.encode(m.append, w.uint32(tag(2)).fork()).join();
  if (m.removeOnMatch) {
    w.uint32(tag(3)).fork();
    StringMatcher.encode(m.removeOnMatch.keyMatcher, w.uint32(tag(1)).fork()).join();
    w.join();
  }
}

function decodeMutation(r: BinaryReader, length: number): HeaderMutationFull {
  const end = r.pos + length;
  let out: HeaderMutationFull = {};
  while (r.pos < end) {
    const t = r.uint32();
    if (t === tag(1)) out = { ...out, remove: r.string() };
    else if (t === tag(2)) out = { ...out, append: HeaderValueOption.decode(r, r.uint32()) };
    else if (t === tag(3)) out = { ...out, removeOnMatch: decodeRemoveOnMatch(r, r.uint32()) };
    else r.skip(t & 7);
  }
  return out;
}

function decodeRemoveOnMatch(r: BinaryReader, length: number): { keyMatcher: StringMatcher } {
  const end = r.pos + length;
  let keyMatcher = StringMatcher.fromPartial({});
  while (r.pos < end) {
    const t = r.uint32();
    if (t === tag(1)) keyMatcher = StringMatcher.decode(r, r.uint32());
    else r.skip(t & 7);
  }
  return { keyMatcher };
}

/** Fills in a partial mutation's nested messages (the generated encoders expect every field present). */
function fullMutation(m: HeaderMutationFull): HeaderMutationFull {
  if (m.append) return { append: HeaderValueOption.fromPartial(m.append as never) };
  if (m.removeOnMatch)
    return { removeOnMatch: { keyMatcher: StringMatcher.fromPartial(m.removeOnMatch.keyMatcher as never) } };
  return m;
}

function mutationJson(m: HeaderMutationFull): unknown {
  if (m.remove !== undefined) return { remove: m.remove };
  if (m.append) return { append: HeaderValueOption.toJSON(m.append) };
  if (m.removeOnMatch) return { removeOnMatch: { keyMatcher: StringMatcher.toJSON(m.removeOnMatch.keyMatcher) } };
  return {};
}

/** Reads repeated mutations of `field` (and skips the rest) from a message of `length` bytes. */
function decodeRepeated(r: BinaryReader, length: number, fields: readonly number[]): HeaderMutationFull[][] {
  const end = r.pos + length;
  const out = fields.map((): HeaderMutationFull[] => []);
  while (r.pos < end) {
    const t = r.uint32();
    const i = fields.findIndex((f) => t === tag(f));
    if (i >= 0) out[i].push(decodeMutation(r, r.uint32()));
    else r.skip(t & 7);
  }
  return out;
}

/** early_header_mutation.header_mutation.v3.HeaderMutation: repeated mutations = 1. */
export interface EarlyHeaderMutationFull {
  readonly mutations: readonly HeaderMutationFull[];
}

const earlyCodec = {
  /** The same proto type as the generated (older) codec. */
  $type: "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation",
  encode(m: EarlyHeaderMutationFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    for (const x of m.mutations) {
      w.uint32(tag(1)).fork();
      encodeMutation(x, w);
      w.join();
    }
    return w;
  },
  decode(input: BinaryReader | Uint8Array, length?: number): EarlyHeaderMutationFull {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    return { mutations: decodeRepeated(r, length ?? r.len - r.pos, [1])[0] };
  },
  fromPartial(o: never): EarlyHeaderMutationFull {
    return { mutations: ((o as Partial<EarlyHeaderMutationFull>).mutations ?? []).map(fullMutation) };
  },
  toJSON(m: EarlyHeaderMutationFull): unknown {
    return m.mutations.length > 0 ? { mutations: m.mutations.map(mutationJson) } : {};
  },
};

/** filters.http.header_mutation.v3.HeaderMutation: mutations = 1 { request_mutations = 1, response_mutations = 2 }. */
export interface HeaderMutationFilterFull {
  readonly mutations?: {
    readonly requestMutations: readonly HeaderMutationFull[];
    readonly responseMutations: readonly HeaderMutationFull[];
  };
}

const filterCodec = {
  /** The same proto type as the generated (older) codec. */
  $type: "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
  encode(m: HeaderMutationFilterFull, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (!m.mutations) return w;
    w.uint32(tag(1)).fork();
    for (const [field, list] of [
      [1, m.mutations.requestMutations],
      [2, m.mutations.responseMutations],
    ] as const) {
      for (const x of list) {
        w.uint32(tag(field)).fork();
        encodeMutation(x, w);
        w.join();
      }
    }
    return w.join();
  },
  decode(input: BinaryReader | Uint8Array, length?: number): HeaderMutationFilterFull {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const end = length === undefined ? r.len : r.pos + length;
    let out: HeaderMutationFilterFull = {};
    while (r.pos < end) {
      const t = r.uint32();
      if (t === tag(1)) {
        const [requestMutations, responseMutations] = decodeRepeated(r, r.uint32(), [1, 2]);
        out = { mutations: { requestMutations, responseMutations } };
      } else r.skip(t & 7);
    }
    return out;
  },
  fromPartial(o: never): HeaderMutationFilterFull {
    const m = (o as { mutations?: Partial<NonNullable<HeaderMutationFilterFull["mutations"]>> }).mutations;
    return m
      ? {
          mutations: {
            requestMutations: (m.requestMutations ?? []).map(fullMutation),
            responseMutations: (m.responseMutations ?? []).map(fullMutation),
          },
        }
      : {};
  },
  toJSON(m: HeaderMutationFilterFull): unknown {
    if (!m.mutations) return {};
    const { requestMutations: req, responseMutations: res } = m.mutations;
    return {
      mutations: {
        ...(req.length > 0 ? { requestMutations: req.map(mutationJson) } : {}),
        ...(res.length > 0 ? { responseMutations: res.map(mutationJson) } : {}),
      },
    };
  },
};

/** The early header mutation extension (Envoy 1.36's fields). */
export const EarlyHeaderMutationFullType = registerType(earlyCodec);

/** The header mutation HTTP filter (Envoy 1.36's mutation fields). */
export const HeaderMutationFilterFullType = registerType(filterCodec);
