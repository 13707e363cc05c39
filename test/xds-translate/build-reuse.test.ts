/**
 * The xDS build's output reuse (ADR 0012, operator/src/xds/translate/build-memo.ts) gives the same bytes as a fresh
 * build: every xDS golden case is built afresh and through a memo (first pass, then again with everything kept), and
 * then changed in each of the ways a kept route or virtual host must notice (listener name, domains, virtual host
 * stats, cluster stats, cluster hash keys, rate limit headers, a new virtual host object, a changed route) while keeping the other
 * IR objects, built through the same memo and compared byte for byte with a fresh build of the changed IR. The
 * filters' route cut (registry.ts filterView) is checked against the whole listener for every golden listener.
 */
import * as assert from "node:assert/strict";
import type { GatewayXdsIr, HttpListenerIr, RouteIr, VirtualHostIr } from "../../operator/src/ir/xds-ir";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { BuildMemo } from "../../operator/src/xds/translate/build-memo";
import { HTTP_FILTERS } from "../../operator/src/xds/translate/filters";
import { filterView } from "../../operator/src/xds/translate/filters/registry";
import { buildNodeResources, type NodeResources } from "../../operator/src/xds/translate/resources";
import { TypeUrl } from "../../operator/src/xds/types";
import { caseName, goldenInputs, readCase, testdataDir } from "../support/golden";
import { xdsGoldenOptions } from "../support/xds-golden";
import { assertSameResources } from "../support/same-resources";

/** Builds `ir` fresh, or the error it throws. */
function fresh(ir: GatewayXdsIr): NodeResources | Error {
  try {
    return buildNodeResources(ir, null);
  } catch (err) {
    return err as Error;
  }
}

/** The IR with each HTTP listener replaced by `f(listener)`. */
function mapListeners(ir: GatewayXdsIr, f: (l: HttpListenerIr) => HttpListenerIr): GatewayXdsIr {
  return { ...ir, http: ir.http.map(f) };
}

/** The IR with each virtual host replaced by `f(vh)` (the listeners are new objects, the routes the same). */
function mapVirtualHosts(ir: GatewayXdsIr, f: (vh: VirtualHostIr) => VirtualHostIr): GatewayXdsIr {
  return mapListeners(ir, (l) => ({ ...l, virtualHosts: l.virtualHosts.map(f) }));
}

/** Changes of an IR that keep its route objects, each something a kept output must notice. */
const CHANGES: Record<string, (ir: GatewayXdsIr) => GatewayXdsIr> = {
  "listener renamed": (ir) => mapListeners(ir, (l) => ({ ...l, name: `${l.name}-renamed` })),
  "domains changed": (ir) => mapVirtualHosts(ir, (vh) => ({ ...vh, domains: vh.domains.map((d) => `x${d}`) })),
  "virtual host stats toggled": (ir) => ({
    ...ir,
    metrics: { ...ir.metrics, virtualHostStats: ir.metrics?.virtualHostStats ? undefined : true },
  }),
  "cluster stats toggled": (ir) => ({
    ...ir,
    metrics: { ...ir.metrics, perEndpointStats: ir.metrics?.perEndpointStats ? undefined : true },
  }),
  "cluster hash keys": (ir) => ({
    ...ir,
    clusters: ir.clusters.map((c) => ({
      ...c,
      policy: {
        ...c.policy,
        loadBalancer: { ...c.policy?.loadBalancer, hashKeys: [{ kind: "header", name: "x-user" }] },
      },
    })) as GatewayXdsIr["clusters"],
  }),
  "rate limit headers toggled": (ir) =>
    mapListeners(ir, (l) => ({
      ...l,
      clientTraffic: {
        ...l.clientTraffic,
        headers: {
          ...l.clientTraffic?.headers,
          disableRateLimitHeaders: l.clientTraffic?.headers?.disableRateLimitHeaders !== true,
        },
      } as HttpListenerIr["clientTraffic"],
    })),
  "new virtual host objects": (ir) => mapVirtualHosts(ir, (vh) => ({ ...vh, routes: [...vh.routes] })),
  "first route of each host changed": (ir) =>
    mapVirtualHosts(ir, (vh) => ({
      ...vh,
      routes: vh.routes.map((r, i): RouteIr => (i === 0 ? { ...r, name: `${r.name}-changed` } : r)),
    })),
  "routes reordered": (ir) => mapVirtualHosts(ir, (vh) => ({ ...vh, routes: [...vh.routes].reverse() })),
};

describe("xDS build reuse (ADR 0012): memoised builds are byte-identical to fresh ones", () => {
  const cases = goldenInputs(testdataDir("xds")).map((inFile) => ({
    name: caseName(inFile),
    irs: () => translate(snapshotFromObjects(readCase(inFile)), xdsGoldenOptions(inFile)).xdsIr,
  }));

  it("covers the golden cases", () => {
    assert.ok(cases.length >= 40, `only ${cases.length} golden cases`);
  });

  for (const c of cases) {
    it(c.name, () => {
      for (const ir of c.irs()) {
        const expected = fresh(ir);
        if (expected instanceof Error) continue; // a case whose IR does not build (the golden test covers it)
        const memo = new BuildMemo();
        const first = buildNodeResources(ir, memo);
        assertSameResources(first, expected, `${ir.name} first pass`);
        const again = buildNodeResources(ir, memo);
        assertSameResources(again, expected, `${ir.name} everything kept`);
        for (const { name } of ir.clusters) {
          const kept = first.get(TypeUrl.Cluster)?.get(name);
          assert.equal(again.get(TypeUrl.Cluster)?.get(name), kept, `cluster ${name} is the kept Any`);
        }
        for (const [change, apply] of Object.entries(CHANGES)) {
          const changed = apply(ir);
          const want = fresh(changed);
          if (want instanceof Error) {
            assert.throws(() => buildNodeResources(changed, memo), `${change}: throws as the fresh build`);
            continue;
          }
          assertSameResources(buildNodeResources(changed, memo), want, `${ir.name}, ${change}`);
          // And back: the memo holds both variants, each must still be right.
          assertSameResources(buildNodeResources(ir, memo), expected, `${ir.name}, ${change} undone`);
        }
      }
    });
  }

  it("a node built again from the same cluster objects gets the same cluster and endpoint maps (the cache does not read them again)", () => {
    const ir = cases.flatMap((c) => c.irs()).find((x) => x.clusters.length > 1 && (x.udp ?? []).length === 0);
    assert.ok(ir, "a golden IR with clusters");
    const memo = new BuildMemo();
    const first = buildNodeResources(ir, memo);
    const again = buildNodeResources({ ...ir, clusters: [...ir.clusters] }, memo);
    assert.equal(again.get(TypeUrl.Cluster), first.get(TypeUrl.Cluster));
    assert.equal(again.get(TypeUrl.Endpoint), first.get(TypeUrl.Endpoint));
    // One cluster object replaced by an equal copy: a new map, with the same bytes.
    const copied = { ...ir, clusters: ir.clusters.map((c, i) => (i === 0 ? { ...c } : c)) };
    const third = buildNodeResources(copied, memo);
    assert.notEqual(third.get(TypeUrl.Cluster), first.get(TypeUrl.Cluster));
    assertSameResources(third, fresh(copied) as NodeResources, "an equal copy of a cluster");
  });

  it("a UDP listener's weighted cluster goes into a copy: the node's kept cluster maps never hold it", () => {
    const udp = goldenInputs(testdataDir("xds"))
      .filter((f) => caseName(f) === "l4-listeners")
      .flatMap((f) => translate(snapshotFromObjects(readCase(f)), xdsGoldenOptions(f)).xdsIr)
      .find((x) => (x.udp ?? []).length > 0);
    assert.ok(udp, "the l4-listeners golden case has a UDP listener");
    const memo = new BuildMemo();
    const withUdp = buildNodeResources(udp, memo);
    const plain = fresh({ ...udp, udp: [] }) as NodeResources;
    const weighted = [...(withUdp.get(TypeUrl.Cluster)?.keys() ?? [])].filter(
      (n) => !plain.get(TypeUrl.Cluster)?.has(n),
    );
    assert.ok(weighted.length > 0, "the UDP listener adds a weighted cluster (else this test proves nothing)");
    // Built again without the UDP listener from the same cluster objects: the kept maps, without the weighted cluster.
    assertSameResources(buildNodeResources({ ...udp, udp: [] }, memo), plain, "without the UDP listener");
    assertSameResources(buildNodeResources(udp, memo), withUdp, "with it again");
  });

  it("every golden listener: the filters see the same through their route cut (filterView)", () => {
    let listeners = 0;
    for (const c of cases) {
      for (const ir of c.irs()) {
        for (const l of ir.http) {
          listeners++;
          const view = filterView(l);
          for (const d of HTTP_FILTERS) {
            assert.deepEqual(d.hcmFilters?.(view), d.hcmFilters?.(l), `${c.name} ${l.name}: ${d.name} HCM filters`);
            for (const vh of l.virtualHosts)
              for (const r of vh.routes)
                assert.deepEqual(
                  d.perRouteConfig?.(r, view),
                  d.perRouteConfig?.(r, l),
                  `${c.name} ${r.name}: ${d.name} per-route config`,
                );
          }
        }
      }
    }
    assert.ok(listeners > 50, `only ${listeners} listeners`);
  });

  it("a filter whose per-route config reads the listener says what it reads (routeContext)", () => {
    for (const d of HTTP_FILTERS) {
      if ((d.perRouteConfig?.length ?? 0) >= 2) assert.ok(d.routeContext, `${d.name} has no routeContext`);
    }
  });
});
