/**
 * The Grafana dashboards shipped with the Helm chart (helm/egts/dashboards/<file>, rendered from these
 * definitions; test/helm/dashboards-golden.test.ts keeps the files equal to them).
 */
import { CLUSTERS } from "./clusters";
import { CONTROL_PLANE } from "./control-plane";
import type { DashboardSpec } from "./model";
import { PROXIES } from "./proxies";
import { RATELIMIT } from "./ratelimit";

/** Each dashboard by its file name under helm/egts/dashboards/. */
export const DASHBOARDS: Readonly<Record<string, DashboardSpec>> = {
  "egts-control-plane.json": CONTROL_PLANE,
  "egts-envoy-proxies.json": PROXIES,
  "egts-envoy-clusters.json": CLUSTERS,
  "egts-global-ratelimit.json": RATELIMIT,
};

export { renderDashboard } from "./model";
