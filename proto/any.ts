/**
 * Typed helpers for `google.protobuf.Any`: pack a ts-proto message with its type URL, unpack it back,
 * and expand nested `Any` values into readable objects (for golden files and `egts translate --to xds`).
 */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Any } from "./gen/google/protobuf/any";
import { protoModule } from "./lazy";

/**
 * The encode/decode functions ts-proto generates for every message, and the message's fully-qualified proto name
 * (`$type`, from the `outputTypeAnnotations=static-only` option in proto/generate.mjs).
 */
export interface MessageCodec<T> {
  /** Fully-qualified proto name, e.g. `envoy.config.cluster.v3.Cluster`. */
  readonly $type: string;
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromPartial(object: never): T;
  toJSON(message: T): unknown;
}

/** A message type known to the Any registry: its fully-qualified proto name and its codec. */
export interface RegisteredType<T> {
  /** Fully-qualified proto name, e.g. `envoy.config.cluster.v3.Cluster`. */
  readonly name: string;
  /** `type.googleapis.com/` + name. */
  readonly typeUrl: string;
  /** ts-proto codec (registered with {@link registerLazyType} or {@link registerLazyCodec}: loaded on the first read). */
  readonly codec: MessageCodec<T>;
}

const registry = new Map<string, RegisteredType<unknown>>();

/** Registers a message type under its codec's proto name so that {@link unpack} and {@link expandAny} can decode it. */
export function registerType<T>(codec: MessageCodec<T>): RegisteredType<T> {
  const name = codec.$type;
  const type: RegisteredType<T> = { name, typeUrl: `type.googleapis.com/${name}`, codec };
  registry.set(type.typeUrl, type as RegisteredType<unknown>);
  return type;
}

/**
 * Registers a message type whose generated module loads on the type's first use (its `codec` read by a pack,
 * unpack, expand or `fromPartial`), not at start (ADR 0038). `modulePath` is the module under proto/gen (no
 * extension), `exportName` the message's ts-proto export (`Outer_Inner` for a nested message); the proto name is
 * the module's folder as a package (`envoy/config/rbac/v3/rbac` → `envoy.config.rbac.v3`) and the export with `.`
 * for `_`. `T` is the message type, from a type-only import of the same module.
 */
export function registerLazyType<T>(modulePath: string, exportName: string): RegisteredType<T> {
  const pkg = modulePath.slice(0, modulePath.lastIndexOf("/")).replace(/\//g, ".");
  const load = protoModule<Readonly<Record<string, MessageCodec<T> | undefined>>>(modulePath);
  return registerLazyCodec(`${pkg}.${exportName.replace(/_/g, ".")}`, () => {
    const codec = load()[exportName];
    if (!codec) throw new Error(`proto/gen/${modulePath} has no export ${exportName}`);
    return codec;
  });
}

/**
 * Registers the message type `name` (fully-qualified) with a codec `load` builds on the type's first use: for a
 * hand-written codec over generated ones (fields our pinned protos lack) whose modules should load only then. The
 * codec's `$type` must be `name` (checked when it loads).
 */
export function registerLazyCodec<T>(name: string, load: () => MessageCodec<T>): RegisteredType<T> {
  let codec: MessageCodec<T> | undefined;
  const type: RegisteredType<T> = {
    name,
    typeUrl: `type.googleapis.com/${name}`,
    get codec(): MessageCodec<T> {
      if (!codec) {
        const loaded = load();
        if (loaded.$type !== name) throw new Error(`the codec registered as ${name} is ${loaded.$type}'s`);
        codec = loaded;
      }
      return codec;
    },
  };
  registry.set(type.typeUrl, type as RegisteredType<unknown>);
  return type;
}

/** Packs a message into an `Any`. */
export function pack<T>(type: RegisteredType<T>, message: T): Any {
  return { typeUrl: type.typeUrl, value: toBuffer(type.codec.encode(message).finish()) };
}

/** Packs a message built from a partial object (ts-proto `fromPartial`). */
export function packPartial<T>(type: RegisteredType<T>, partial: object): Any {
  return pack(type, type.codec.fromPartial(partial as never));
}

/** Unpacks an `Any` of the expected type; throws with both type URLs when it is another type. */
export function unpack<T>(type: RegisteredType<T>, any: Any): T {
  if (any.typeUrl !== type.typeUrl) {
    throw new Error(`expected an Any of ${type.typeUrl}, got ${any.typeUrl}`);
  }
  return type.codec.decode(any.value);
}

/** Every registered type, in registration order (a test loads the lazy ones and checks their names). */
export function registeredTypes(): readonly RegisteredType<unknown>[] {
  return [...registry.values()];
}

/** Looks up a registered type by type URL. */
export function lookupType(typeUrl: string): RegisteredType<unknown> | undefined {
  return registry.get(typeUrl);
}

/**
 * Turns the `toJSON` form of a message into a readable object: every nested Any whose type is
 * registered is decoded and shown as `{ "@type": url, ...fields }` (proto3 JSON style).
 */
export function expandAny(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(expandAny);
  if (json === null || typeof json !== "object") return json;
  const obj = json as Record<string, unknown>;
  const keys = Object.keys(obj);
  const anyShaped = keys.every((k) => k === "typeUrl" || k === "value") && typeof obj.typeUrl === "string";
  if (anyShaped && (obj.value === undefined || typeof obj.value === "string")) {
    const type = registry.get(obj.typeUrl as string);
    if (type) {
      const msg = type.codec.decode(Buffer.from((obj.value as string | undefined) ?? "", "base64"));
      return { "@type": type.typeUrl, ...(expandAny(type.codec.toJSON(msg)) as object) };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = expandAny(v);
  return out;
}

/** Wraps encoded bytes as a Buffer without copying (ts-proto with env=node types bytes as Buffer). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
