/** Test harness of the Kubernetes tier: a throwaway control plane on loopback and the tools around it. */
export {
  DEFAULT_CONTROLLERS,
  KubeCluster,
  run,
  RunError,
  startKubeCluster,
  type KubeClusterOptions,
  type RunResult,
} from "./cluster";
export { kubeconfigYaml, makeClusterPki, type ClusterPki } from "./pki";
export { ManagedProcess, registerCleanup, type StartOptions } from "./proc";
export { SIMULATED_HOST_HELM_VALUES, SimulatedKubelet, type KubeletOptions } from "./kubelet";
export {
  findKubeTools,
  INSTALL_KUBE,
  KUBE_VERSIONS,
  KubeToolsMissingError,
  kubeToolPaths,
  type KubeTools,
} from "./tools";
export { hostAddress, requestCount, statusPatches } from "./observe";
export { echoRouteYaml, hostServiceYaml, quickstartYaml } from "./manifests";
export { prepareCluster, startTestController, testControllerOptions, testKubelet } from "./controller";
export { CHAINSAW_SUITES, runChainsaw, type ChainsawRun, type ChainsawValues } from "./chainsaw";
