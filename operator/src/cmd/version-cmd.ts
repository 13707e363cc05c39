/**
 * `egts version`: the client's version (and the Envoy version it pins), and with `--remote` the version of each
 * controller pod in the cluster (label `control-plane=envoy-gateway`, as egctl selects them), read from the
 * pod's image tag (egctl execs `envoy-gateway version` in the pod; egts does not exec).
 */
import { ENVOY_VERSION } from "../infra/host/envoy-binary";
import { DEFAULT_CONTROLLER_NAME } from "../resources/envoy-gateway";
import type { Invocation } from "./cli/command";
import { bool, str } from "./cli/flags";
import { kubeClient } from "./kube";
import { CONTROLLER_POD_SELECTOR } from "./kube-pods";
import { formatOutput, outputFormat } from "./output";
import { clientVersion } from "./version-info";

/** One controller pod's version. */
interface ServerVersion {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  readonly version: string;
}

interface PodItem {
  metadata: { name: string; namespace: string };
  spec?: { containers?: { name: string; image?: string }[] };
  status?: { phase?: string };
}

/** Runs `egts version`. */
export async function version(inv: Invocation): Promise<number> {
  const format = outputFormat(str(inv.values, "output"));
  const remote = bool(inv.values, "remote");
  if (inv.changed.has("remote") && !remote) {
    process.stdout.write(`${clientVersion()}\n`);
    return 0;
  }
  const info: Record<string, unknown> = {
    client: clientVersion(),
    envoy: ENVOY_VERSION,
    controllerName: DEFAULT_CONTROLLER_NAME,
  };
  if (remote) info.server = await serverVersions(inv);
  process.stdout.write(await formatOutput(info, format));
  return 0;
}

async function serverVersions(inv: Invocation): Promise<ServerVersion[]> {
  const client = await kubeClient(inv.values);
  const pods = await client.list<PodItem>("/api/v1/pods", { labelSelector: CONTROLLER_POD_SELECTOR });
  const out: ServerVersion[] = [];
  for (const pod of pods.items) {
    const { name, namespace } = pod.metadata;
    if (pod.status?.phase !== "Running") {
      process.stderr.write(`WARN: pod ${namespace}/${name} is not running, skipping it.\n`);
      continue;
    }
    const containers = pod.spec?.containers ?? [];
    const image = (containers.find((c) => c.name === "envoy-gateway") ?? containers[0])?.image ?? "";
    out.push({ namespace, name, image, version: imageTag(image) });
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** The tag of an image reference (`registry:5000/repo:1.2` → `1.2`), or `unknown`. */
export function imageTag(image: string): string {
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", lastSlash + 1);
  return colon < 0 ? "unknown" : withoutDigest.slice(colon + 1);
}
