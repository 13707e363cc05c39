/** Test harness of the Kubernetes tier: a throwaway control plane on loopback and the tools around it. */
export {
  DEFAULT_CONTROLLERS,
  httpExchange,
  KubeCluster,
  run,
  RunError,
  startKubeCluster,
  type HttpResult,
  type KubeClusterOptions,
  type RunResult,
} from "./cluster";
export { ClusterDns, dnsAnswer, podResolvConf } from "./cluster-dns";
export { PROXY_SYNC_MS, serviceRules, SimulatedKubeProxy, type ProxiedService, type ProxiedSlice } from "./kube-proxy";
export { ContainerLog, KubeletServer } from "./kubelet-server";
export { POD_NETWORK, PodNetwork, removeStalePodNetwork, type PodSandbox } from "./pod-network";
export { kubeconfigYaml, makeClusterPki, type ClusterPki } from "./pki";
export { ManagedProcess, registerCleanup, type StartOptions } from "./proc";
export {
  echoBasicPath,
  INSTALL_CONFORMANCE,
  INSTALL_RATELIMIT,
  requireEchoBasic,
  SIMULATED_NODE,
  SimulatedKubelet,
  type KubeletOptions,
  type StartingPod,
} from "./kubelet";
export {
  findKubeTools,
  INSTALL_KUBE,
  KUBE_VERSIONS,
  KubeToolsMissingError,
  kubeToolPaths,
  type KubeTools,
} from "./tools";
export { gatewayAddress, inPodNetwork, isLoadBalancerIp, podFetch, requestCount, statusPatches } from "./observe";
export { echoRouteYaml, gatewayClassYaml, gatewayYaml, hostServiceYaml, quickstartYaml } from "./manifests";
export { installCrds, prepareCluster, startTestController, testControllerOptions, testKubelet } from "./controller";
export { CHAINSAW_SUITES, runChainsaw, type ChainsawRun, type ChainsawValues } from "./chainsaw";
export { CONTROLLER_NS, startTenantCluster, type KubeCondition, type TenantCluster } from "./tenant-cluster";
export { startProxyStack, type ProxyStack, type ProxyStackOptions } from "./proxy-stack";
