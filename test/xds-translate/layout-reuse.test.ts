/**
 * The stage after translate keeps what unchanged objects became (ADR 0024) and gives the same output as doing it all
 * again: validation through its per-object memo finds exactly the problems of a full check, and the route layouts
 * (inline, VHDS, scoped) laid out through a memo, after a build through a memo, over a sequence of changes, give the
 * same resources (types, names in order, bytes) as a cold build and layout of each IR, with the previous pass
 * published in a cache as in the pipeline.
 */
import type { Any } from "../../proto/gen/google/protobuf/any";
import * as assert from "node:assert/strict";
import { validateXdsIr, xdsIrProblems } from "../../operator/src/ir/validate";
import type { GatewayXdsIr, HttpListenerIr, RouteIr, VirtualHostIr } from "../../operator/src/ir/xds-ir";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { XdsCache } from "../../operator/src/xds/cache/snapshot-cache";
import { BuildMemo } from "../../operator/src/xds/translate/build-memo";
import { layOut } from "../../operator/src/xds/translate/layout";
import { LayoutMemo } from "../../operator/src/xds/translate/layout-memo";
import { buildNodeResources, type LaidOutResources } from "../../operator/src/xds/translate/resources";
import type { RouteLayout } from "../../operator/src/xds/translate/vhds";
import { TypeUrl } from "../../operator/src/xds/types";
import { buildObjects, routeObject } from "../../bench/lib/fixtures";
import { caseName, goldenInputs, readCase, testdataDir } from "../support/golden";
import { xdsGoldenOptions } from "../support/xds-golden";
import { assertSameResources } from "../support/same-resources";

const LAYOUTS: readonly RouteLayout[] = ["inline", "vhds", "scoped"];

/** What a node was last sent, by type and name (the cache's). */
type Published = ReadonlyMap<string, ReadonlyMap<string, { readonly value: Any }>>;

/**
 * Builds and lays out `ir` cold (no memo), or the error that throws; `published` is what the node was last sent, an
 * input of the layout as in the pipeline (a RouteConfiguration sent over RDS stays there, scoped.ts).
 */
function cold(ir: GatewayXdsIr, layout: RouteLayout, published?: Published): LaidOutResources | Error {
  try {
    return layOut(buildNodeResources(ir, null), layout, published, null);
  } catch (err) {
    return err as Error;
  }
}

/** A pipeline's stage after translate over passes: memos kept, each pass published to the cache. */
class Warm {
  private readonly build = new BuildMemo();
  private readonly layout = new LayoutMemo();
  private readonly cache = new XdsCache();
  constructor(private readonly kind: RouteLayout) {}

  /** What the node was last sent. */
  published(node: string): Published | undefined {
    return this.cache.getNode(node)?.resources;
  }

  pass(ir: GatewayXdsIr): LaidOutResources {
    const built = buildNodeResources(ir, this.build);
    const out = layOut(built, this.kind, this.cache.getNode(ir.name)?.resources, this.layout);
    this.cache.setNode(ir.name, out);
    return out;
  }
}

/** The IR with each virtual host replaced by `f(vh)`. */
function mapHosts(
  ir: GatewayXdsIr,
  f: (vh: VirtualHostIr, i: number, all: readonly VirtualHostIr[]) => VirtualHostIr,
): GatewayXdsIr {
  return { ...ir, http: ir.http.map((l): HttpListenerIr => ({ ...l, virtualHosts: l.virtualHosts.map(f) })) };
}

/** Changes that keep most IR objects, each something a kept layout output must notice, then the IR as it was. */
const CHANGES: Record<string, (ir: GatewayXdsIr) => GatewayXdsIr> = {
  "listener renamed": (ir) => ({ ...ir, http: ir.http.map((l) => ({ ...l, name: `${l.name}-renamed` })) }),
  "first host's domains changed": (ir) =>
    mapHosts(ir, (vh, i) => (i === 0 ? { ...vh, domains: vh.domains.map((d) => `x${d}`) } : vh)),
  "last host's first route changed": (ir) =>
    mapHosts(ir, (vh, i, all) =>
      i === all.length - 1
        ? { ...vh, routes: vh.routes.map((r, k): RouteIr => (k === 0 ? { ...r, name: `${r.name}-x` } : r)) }
        : vh,
    ),
  "first host removed": (ir) => ({
    ...ir,
    http: ir.http.map((l) => ({ ...l, virtualHosts: l.virtualHosts.slice(1) })),
  }),
  "hosts reversed": (ir) => ({
    ...ir,
    http: ir.http.map((l) => ({ ...l, virtualHosts: [...l.virtualHosts].reverse() })),
  }),
  "route configuration settings changed (stats)": (ir) => ({
    ...ir,
    metrics: { ...ir.metrics, virtualHostStats: ir.metrics?.virtualHostStats ? undefined : true },
  }),
  "a large direct response on the last host (every host's route configuration settings change)": (ir) =>
    mapHosts(ir, (vh, i, all) =>
      i === all.length - 1
        ? {
            ...vh,
            routes: vh.routes.map((r): RouteIr => ({
              ...r,
              action: { kind: "direct", status: 200, body: "x".repeat(5000) },
            })),
          }
        : vh,
    ),
  "a wildcard host (scoped falls back to inline)": (ir) =>
    mapHosts(ir, (vh, i) => (i === 0 ? { ...vh, domains: [...vh.domains, "*.wild.example"] } : vh)),
};

/** Runs `irs` as passes through one warm stage per layout, comparing each pass with a cold one. */
function checkSequence(irs: readonly GatewayXdsIr[], what: string): void {
  for (const layout of LAYOUTS) {
    const warm = new Warm(layout);
    irs.forEach((ir, i) => {
      const want = cold(ir, layout, warm.published(ir.name));
      if (want instanceof Error) return assert.throws(() => warm.pass(ir), `${what} pass ${i}: throws as cold`);
      assertSameResources(warm.pass(ir), want, `${what}, ${layout}, pass ${i}`);
    });
  }
}

const OPTS = { listenAddress: "127.0.0.1", backends: { enabled: true, allow: ["Loopback"] } } as const;

describe("after translate, kept outputs (ADR 0024) give what a cold pass gives", () => {
  const cases = goldenInputs(testdataDir("xds")).map((inFile) => ({
    name: caseName(inFile),
    irs: () => translate(snapshotFromObjects(readCase(inFile)), xdsGoldenOptions(inFile)).xdsIr,
  }));

  it("validation through the memo finds exactly the full check's problems, golden IRs and broken ones", () => {
    let invalid = 0;
    for (const c of cases) {
      for (const ir of c.irs()) {
        const broken: GatewayXdsIr[] = [
          ir,
          mapHosts(ir, (vh, i) =>
            i === 0 ? { ...vh, routes: vh.routes.map((r): RouteIr => ({ ...r, timeouts: { requestMs: -1 } })) } : vh,
          ),
          { ...ir, clusters: ir.clusters.slice(1) },
          { ...ir, clusters: [...ir.clusters, ...ir.clusters.slice(0, 1)] },
          { ...ir, secrets: [] },
          { ...ir, http: ir.http.map((l) => ({ ...l, port: 0 })) },
        ];
        for (const x of broken) {
          // Twice: the second answer comes from what the first kept.
          assert.deepEqual(validateXdsIr(x), xdsIrProblems(x), `${c.name} ${ir.name}`);
          assert.deepEqual(validateXdsIr(x), xdsIrProblems(x), `${c.name} ${ir.name} again`);
          if (xdsIrProblems(x).length > 0) invalid++;
        }
      }
    }
    assert.ok(invalid > 100, `only ${invalid} invalid IRs checked`);
  });

  for (const c of cases) {
    it(`${c.name}: every layout, over changes and back`, () => {
      for (const ir of c.irs()) {
        checkSequence([ir, ir, ...Object.values(CHANGES).flatMap((change) => [change(ir), ir])], c.name);
      }
    });
  }

  it("the bench fixture over routes added, changed and removed: scoped, unchanged scopes kept as they were", () => {
    let objects: KubeObject[] = buildObjects(60);
    const irs: GatewayXdsIr[] = [];
    const next = (): void => {
      irs.push(translate(snapshotFromObjects(objects), OPTS).xdsIr[0]!);
    };
    next();
    objects = [...objects, routeObject(60)];
    next();
    objects = objects.map((o, j) => (j === objects.length - 7 ? routeObject(53, { variant: 2 }) : o));
    next();
    objects = objects.filter((_, j) => j !== objects.length - 20);
    next();
    next();
    checkSequence(irs, "fixture");

    const warm = new Warm("scoped");
    const first = warm.pass(irs[2]!).get(TypeUrl.ScopedRoute)!;
    assert.ok(first.size >= 60, `${first.size} scopes`);
    const second = warm.pass(irs[3]!).get(TypeUrl.ScopedRoute)!;
    let same = 0;
    for (const [name, any] of second) if (first.get(name) === any) same++;
    assert.ok(same >= second.size - 3, `only ${same} of ${second.size} scopes kept`);
  });
});
