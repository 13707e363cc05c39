/**
 * The EnvoyGateway configuration (`gateway.envoyproxy.io/v1alpha1`, kind EnvoyGateway): the startup
 * settings Envoy Gateway reads from `--config-path` (in Kubernetes, the ConfigMap `envoy-gateway-config`
 * its Helm chart renders from `config.envoyGateway`). egts reads the same file and acts on a few of its
 * fields; Envoy Gateway's other fields are reported as not acted on, anything else is an error naming the
 * file and line, so a misspelt security setting is never silently ignored.
 *
 * Acted on:
 * - `gateway.controllerName`: the GatewayClass controller name (a `--controller-name` flag wins).
 * - `extensionApis.enableBackend`: the Backend kind is off unless true, as in Envoy Gateway.
 * - `extensionApis.backend` (egts extension, not in Envoy Gateway): Backend endpoints refused by default
 *   that this installation allows: `allow` lists classes (Loopback, LinkLocal, Unspecified, ProxyPorts),
 *   `allowedCIDRs` lists address ranges.
 */
import { readFileSync } from "node:fs";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type Pair } from "yaml";
import { ENDPOINT_CLASSES, parseCidr, type BackendSettings, type EndpointClass } from "../translate/backend-endpoints";

/** API version and kind of the configuration document. */
export const ENVOY_GATEWAY_API_VERSION = "gateway.envoyproxy.io/v1alpha1";
export const ENVOY_GATEWAY_KIND = "EnvoyGateway";

/** What egts takes from an EnvoyGateway configuration. */
export interface EnvoyGatewayConfig {
  /** `gateway.controllerName`, when set. */
  readonly controllerName?: string;
  /** `extensionApis.enableBackend` and the egts extension `extensionApis.backend`. */
  readonly backends: BackendSettings;
  /** Envoy Gateway settings present in the file that egts does not act on, each with file:line. */
  readonly warnings: readonly string[];
}

/** The configuration without a file: Envoy Gateway's defaults (Backend off). */
export const DEFAULT_ENVOY_GATEWAY_CONFIG: EnvoyGatewayConfig = { backends: { enabled: false }, warnings: [] };

/** A configuration file that cannot be used; the message lists every problem with file:line:column. */
export class EnvoyGatewayConfigError extends Error {
  override name = "EnvoyGatewayConfigError";
}

/** Envoy Gateway's top-level settings egts reads no value from. */
const NOT_ACTED_TOP = [
  "provider",
  "logging",
  "admin",
  "telemetry",
  "xdsServer",
  "rateLimit",
  "extensionManager",
  "extensionManagers",
  "gatewayAPI",
  "runtimeFlags",
  "envoyProxy",
];
/** Envoy Gateway's extensionApis switches for kinds egts does not implement (reported when true). */
const NOT_ACTED_EXTENSION_APIS = [
  "enableEnvoyPatchPolicy",
  "enableEnvoyExtensionPolicy",
  "enableLua",
  "disableLua",
  "enableSDSSecretRef",
];

/** Collects problems and warnings while walking the document. */
class Walk {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  at(node: Node | null | undefined | unknown): string {
    const range = (node as Node | null | undefined)?.range;
    if (!range) return this.file;
    const { line, col } = this.lines.linePos(range[0]);
    return `${this.file}:${line}:${col}`;
  }

  error(node: unknown, message: string): void {
    this.errors.push(`${this.at(node)}: ${message}`);
  }

  /** The pairs of a mapping, or an error when `node` is not one. */
  pairs(node: unknown, path: string): Pair[] {
    if (isMap(node)) return node.items as Pair[];
    this.error(node, `${path} must be a mapping`);
    return [];
  }

  string(node: unknown, path: string): string | undefined {
    if (isScalar(node) && typeof node.value === "string") return node.value;
    this.error(node, `${path} must be a string`);
    return undefined;
  }

  bool(node: unknown, path: string): boolean | undefined {
    if (isScalar(node) && typeof node.value === "boolean") return node.value;
    this.error(
      node,
      `${path} must be true or false (got ${isScalar(node) ? JSON.stringify(node.value) : "a collection"})`,
    );
    return undefined;
  }

  strings(node: unknown, path: string): string[] {
    if (!isSeq(node)) {
      this.error(node, `${path} must be a list`);
      return [];
    }
    return node.items.flatMap((item, i) => this.string(item, `${path}[${i}]`) ?? []);
  }
}

function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** Parses the text of an EnvoyGateway configuration file; throws {@link EnvoyGatewayConfigError}. */
export function parseEnvoyGatewayConfig(file: string, text: string): EnvoyGatewayConfig {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  const w = new Walk(file, lines);
  const problems = (Array.isArray(docs) ? docs : []).flatMap((d) => d.errors);
  if (problems.length > 0 || !Array.isArray(docs)) {
    const list = problems.map((e) => `${file}:${e.linePos?.[0].line ?? 0}:${e.linePos?.[0].col ?? 0}: ${e.message}`);
    throw new EnvoyGatewayConfigError(list.join("\n") || `${file}: not YAML`);
  }
  const real = docs.filter((d) => d.contents !== null);
  if (real.length !== 1) {
    throw new EnvoyGatewayConfigError(
      `${file}: expected one EnvoyGateway document (apiVersion ${ENVOY_GATEWAY_API_VERSION}), found ${real.length}`,
    );
  }
  const root = real[0].contents;
  const config = readRoot(w, root);
  if (w.errors.length > 0) throw new EnvoyGatewayConfigError(w.errors.join("\n"));
  return { ...config, warnings: w.warnings };
}

function readRoot(w: Walk, root: unknown): Omit<EnvoyGatewayConfig, "warnings"> {
  let controllerName: string | undefined;
  let backends: BackendSettings = { enabled: false };
  const seen = new Set<string>();
  for (const pair of w.pairs(root, "the document")) {
    const key = keyName(pair);
    seen.add(key);
    if (isAlias(pair.value)) {
      w.error(pair.value, `${key}: YAML aliases are not accepted in the EnvoyGateway configuration`);
    } else if (key === "apiVersion" || key === "kind") {
      const want = key === "kind" ? ENVOY_GATEWAY_KIND : ENVOY_GATEWAY_API_VERSION;
      const got = w.string(pair.value, key);
      if (got !== undefined && got !== want) w.error(pair.value, `${key} must be ${want} (got ${got})`);
    } else if (key === "gateway") {
      controllerName = readGateway(w, pair.value);
    } else if (key === "extensionApis") {
      backends = readExtensionApis(w, pair.value);
    } else if (NOT_ACTED_TOP.includes(key)) {
      w.warnings.push(`${w.at(pair.key)}: ${key} is an Envoy Gateway setting egts does not act on`);
    } else {
      w.error(
        pair.key,
        `unknown field ${key} (EnvoyGateway fields: gateway, extensionApis, ${NOT_ACTED_TOP.join(", ")})`,
      );
    }
  }
  for (const required of ["apiVersion", "kind"]) {
    if (!seen.has(required))
      w.error(root, `missing ${required} (${required === "kind" ? ENVOY_GATEWAY_KIND : ENVOY_GATEWAY_API_VERSION})`);
  }
  return { ...(controllerName !== undefined ? { controllerName } : {}), backends };
}

function readGateway(w: Walk, node: unknown): string | undefined {
  let name: string | undefined;
  for (const pair of w.pairs(node, "gateway")) {
    const key = keyName(pair);
    if (key === "controllerName") name = w.string(pair.value, "gateway.controllerName");
    else w.error(pair.key, `unknown field gateway.${key} (gateway fields: controllerName)`);
  }
  return name;
}

function readExtensionApis(w: Walk, node: unknown): BackendSettings {
  let enabled = false;
  let extension: Omit<BackendSettings, "enabled"> = {};
  for (const pair of w.pairs(node, "extensionApis")) {
    const key = keyName(pair);
    const path = `extensionApis.${key}`;
    if (key === "enableBackend") enabled = w.bool(pair.value, path) ?? false;
    else if (key === "backend") extension = readBackendExtension(w, pair.value);
    else if (NOT_ACTED_EXTENSION_APIS.includes(key)) {
      if (w.bool(pair.value, path) === true && key !== "disableLua") {
        w.warnings.push(`${w.at(pair.key)}: ${path} is true, but egts does not implement that API`);
      }
    } else {
      w.error(
        pair.key,
        `unknown field ${path} (extensionApis fields: enableBackend, backend (egts), ${NOT_ACTED_EXTENSION_APIS.join(", ")})`,
      );
    }
  }
  return { enabled, ...extension };
}

/** `extensionApis.backend`: the egts extension that allows refused Backend endpoints. */
function readBackendExtension(w: Walk, node: unknown): Omit<BackendSettings, "enabled"> {
  const allow: EndpointClass[] = [];
  const allowedCIDRs: string[] = [];
  for (const pair of w.pairs(node, "extensionApis.backend")) {
    const key = keyName(pair);
    const path = `extensionApis.backend.${key}`;
    if (key === "allow") {
      const items = isSeq(pair.value) ? pair.value.items : [];
      w.strings(pair.value, path).forEach((c, i) => {
        if ((ENDPOINT_CLASSES as readonly string[]).includes(c)) allow.push(c as EndpointClass);
        else w.error(items[i], `${path}[${i}]: ${c} is not one of ${ENDPOINT_CLASSES.join(", ")}`);
      });
    } else if (key === "allowedCIDRs") {
      const items = isSeq(pair.value) ? pair.value.items : [];
      w.strings(pair.value, path).forEach((c, i) => {
        if (parseCidr(c)) allowedCIDRs.push(c);
        else w.error(items[i], `${path}[${i}]: ${c} is not a CIDR (address/prefix length, e.g. 169.254.10.0/24)`);
      });
    } else {
      w.error(pair.key, `unknown field ${path} (extensionApis.backend fields: allow, allowedCIDRs)`);
    }
  }
  return { allow, allowedCIDRs };
}

/** Reads and parses an EnvoyGateway configuration file; throws {@link EnvoyGatewayConfigError}. */
export function loadEnvoyGatewayConfig(path: string): EnvoyGatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new EnvoyGatewayConfigError(`cannot read the EnvoyGateway configuration ${path}: ${(err as Error).message}`);
  }
  return parseEnvoyGatewayConfig(path, text);
}
