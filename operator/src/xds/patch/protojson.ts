/**
 * The protojson bridge of EnvoyPatchPolicy: an xDS resource's bytes ↔ its proto3 JSON with proto field names
 * (`useProtoFieldName`, nested `Any`s expanded with `@type`), as Envoy Gateway patches them. The schema is the
 * FileDescriptorSet proto/generate.mjs builds from the same protos as our generated types, plus the fields egts
 * encodes by hand (its EXTRA_FIELDS). A resource that carries a field the schema does not know (another
 * hand-encoded field) is refused: the JSON round trip would silently drop it.
 */
import { gunzipSync } from "node:zlib";
import type { DescMessage, FileRegistry, JsonValue, Message } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type * as Descriptors from "../../../../proto/gen/descriptors";
import { protoModule } from "../../../../proto/lazy";
import { protobufPackage, protobufWktPackage } from "../../optional-packages";

const TYPE_PREFIX = "type.googleapis.com/";
/** The gzipped FileDescriptorSet (~120 KB of source), loaded with the registry. */
const descriptors = protoModule<typeof Descriptors>("descriptors");

let registry: FileRegistry | undefined;

/** The schema registry (built once, on first use: about 50 ms). */
export function xdsRegistry(): FileRegistry {
  if (!registry) {
    const set = protobufPackage().fromBinary(
      protobufWktPackage().FileDescriptorSetSchema,
      gunzipSync(Buffer.from(descriptors().DESCRIPTORS_GZ_BASE64, "base64")),
    );
    registry = protobufPackage().createFileRegistry(set);
  }
  return registry;
}

/** The message descriptor of a type URL; throws `unsupported patch type <url>` when the schema lacks it. */
export function messageOf(typeUrl: string): DescMessage {
  const desc = typeUrl.startsWith(TYPE_PREFIX)
    ? xdsRegistry().getMessage(typeUrl.slice(TYPE_PREFIX.length))
    : undefined;
  if (!desc) throw new Error(`unsupported patch type ${typeUrl}`);
  return desc;
}

/**
 * A resource's encoded bytes → its protojson (proto field names). Throws when the bytes carry fields the schema
 * does not know (naming the message and field numbers), since they would not survive the way back.
 */
export function resourceToJson(typeUrl: string, bytes: Uint8Array): JsonValue {
  const desc = messageOf(typeUrl);
  const reg = xdsRegistry();
  const msg = protobufPackage().fromBinary(desc, bytes);
  const unknown = unknownFields(msg, reg, desc.typeName);
  if (unknown.length > 0) {
    throw new Error(
      `xds resource ${typeUrl} carries fields egts's protojson schema does not know (${unknown.join(", ")}); ` +
        "patching it would drop them",
    );
  }
  return protobufPackage().toJson(desc, msg, { registry: reg, useProtoFieldName: true });
}

/** Protojson → the resource's encoded bytes; throws protobuf-es's message for an unknown key or a wrong value. */
export function resourceFromJson(typeUrl: string, json: JsonValue): Uint8Array {
  const desc = messageOf(typeUrl);
  const reg = xdsRegistry();
  return protobufPackage().toBinary(desc, protobufPackage().fromJson(desc, json, { registry: reg }));
}

/** `<message> field <n>` for every unknown field in a message tree, `Any` payloads included. */
function unknownFields(value: unknown, reg: FileRegistry, where: string): string[] {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return [];
  if (Array.isArray(value)) return value.flatMap((v) => unknownFields(v, reg, where));
  const obj = value as Partial<Message> & Record<string, unknown>;
  const type = typeof obj.$typeName === "string" ? obj.$typeName : where;
  const found = (obj.$unknown ?? []).map((u) => `${type} field ${u.no}`);
  if (type === "google.protobuf.Any") {
    const inner = protobufWktPackage().anyUnpack(obj as unknown as Any, reg);
    return inner ? [...found, ...unknownFields(inner, reg, inner.$typeName)] : found;
  }
  for (const [k, v] of Object.entries(obj))
    if (k !== "$unknown" && k !== "$typeName") found.push(...unknownFields(v, reg, type));
  return found;
}
