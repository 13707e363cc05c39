/**
 * The cdk8s app of `cdk8s synth` (see cdk8s.yaml): previews the Envoy proxy objects `egts controller` would
 * apply for a file or folder of Gateway API and EnvoyProxy YAML (EGTS_SYNTH_INPUT, default
 * examples/kubernetes). It translates with the controller's translator and defaults, resolves EnvoyProxy as
 * the controller does, and writes one chart per proxy: `<outdir>/<proxy object name>.k8s.yaml`.
 *
 * Run it with `npm run synth` (build, then `cdk8s synth`), or `node dist/constructs/synth.js` after a build.
 */
import { resolve } from "node:path";
import { App } from "cdk8s";
import { readInputs } from "../operator/src/cmd/translate";
import { CONTROLLER_DEFAULTS, controllerRenderOptions } from "../operator/src/config/controller-defaults";
import { env } from "../operator/src/config/env";
import type { DeployType } from "../operator/src/config/envoy-gateway-provider";
import { formatInputError } from "../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../operator/src/resources/snapshot";
import type { StatusUpdate } from "../operator/src/translate/conditions";
import { translate } from "../operator/src/translate/translate";
import { proxiesToRender } from "./from-snapshot";
import { PROXY_RESERVED_PORTS } from "./gateway-proxy";
import { proxyChart, proxyObjectNameOf, type ProxyToRender } from "./render";

/** What to synthesize. */
export interface SynthOptions {
  /** File or folder of YAML. */
  readonly input: string;
  /** Where the manifests go. */
  readonly outdir: string;
  /** Namespace of the control plane and of the proxies (ENVOY_GATEWAY_NAMESPACE, as for the controller). */
  readonly namespace: string;
  /** EnvoyGateway `provider.kubernetes.deploy.type` to preview (EGTS_SYNTH_DEPLOY_TYPE). @default ControllerNamespace */
  readonly deploy?: DeployType;
}

/** What was synthesized. */
export interface SynthResult {
  /** The app, already synthesized; empty when the input had errors. */
  readonly app: App;
  /** The rendered proxies, one chart each. */
  readonly proxies: readonly ProxyToRender[];
  /** Input errors, `file:line:column: message`; nothing is written when there are any. */
  readonly errors: readonly string[];
  /** Notes for the user: one line per proxy and per Gateway that got none. */
  readonly notes: readonly string[];
}

/** Builds the app for `options` and writes its manifests. */
export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const app = new App({ outdir: options.outdir });
  const { objects, errors } = await readInputs([options.input]);
  if (errors.length > 0) return { app, proxies: [], errors: errors.map(formatInputError), notes: [] };
  const snapshot = snapshotFromObjects(objects);
  const result = translate(snapshot, {
    controllerName: CONTROLLER_DEFAULTS.controllerName,
    reservedPorts: PROXY_RESERVED_PORTS,
  });
  const proxies = proxiesToRender(result.infraIr, snapshot);
  const render = controllerRenderOptions({
    namespace: options.namespace,
    ...(options.deploy ? { deploy: options.deploy } : {}),
  });
  const notes: string[] = [];
  for (const proxy of proxies) {
    const id = proxyObjectNameOf(proxy, render.gatewayNamespace);
    proxyChart(app, id, [proxy], render);
    const ports = proxy.ports.map((p) => `${p.protocol}/${p.port}`).join(", ") || "none";
    const customised = proxy.envoyProxy ? ", with its EnvoyProxy" : "";
    const what =
      proxy.gatewayClass !== undefined
        ? `GatewayClass ${proxy.gatewayClass} (Gateways ${(proxy.gateways ?? []).join(", ")})`
        : `Gateway ${proxy.name}`;
    notes.push(`${what}: ${id}.k8s.yaml (listeners ${ports}${customised})`);
  }
  notes.push(...unrenderedGateways(result.statuses, proxies));
  app.synth();
  return { app, proxies, errors: [], notes };
}

/** A note for every Gateway of ours that gets no proxy, quoting why (its Accepted condition). */
function unrenderedGateways(statuses: readonly StatusUpdate[], proxies: readonly ProxyToRender[]): string[] {
  const rendered = new Set(proxies.flatMap((p) => p.gateways ?? [p.name]));
  return statuses
    .filter((s) => s.kind === "Gateway" && !rendered.has(`${s.namespace ?? ""}/${s.name}`))
    .map((s) => {
      const conditions = (s.status as { conditions?: { type: string; status: string; message?: string }[] }).conditions;
      const accepted = conditions?.find((c) => c.type === "Accepted");
      const why = accepted ? `Accepted=${accepted.status}: ${accepted.message ?? ""}` : "not accepted";
      return `Gateway ${s.namespace ?? ""}/${s.name}: no proxy (${why})`;
    });
}

/** Entry point: reads the environment (through env.ts) and synthesizes; returns the exit code. */
export async function main(): Promise<number> {
  const e = env();
  const input = resolve(e.synthInput);
  const result = await synthesize({
    input,
    outdir: e.cdk8sOutdir ?? "cdk8s.out",
    namespace: e.namespace,
    deploy: e.synthDeployType,
  });
  for (const error of result.errors) process.stderr.write(`error: ${error}\n`);
  if (result.errors.length > 0) return 1;
  for (const note of result.notes) process.stderr.write(`${note}\n`);
  if (result.proxies.length === 0) process.stderr.write(`no Gateway in ${input} gets a proxy; nothing to preview\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`synth: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
