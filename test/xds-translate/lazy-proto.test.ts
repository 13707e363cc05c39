/**
 * Generated proto modules that only some configurations need load on first use (ADR 0038): loading the
 * controller's entry module leaves a filter's module, the RBAC protos and protobuf-es's reflection out of
 * `require.cache` until a config needs them. Checked in a child process: this one has every module of every test.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { registeredTypes } from "../../proto/any";
import "../../operator/src/cmd/controller-cmd";
import "../../operator/src/cmd/standalone-cmd";

/** dist/, where this test runs from (dist/test/xds-translate). */
const DIST = path.resolve(__dirname, "../..");

/** Runs `script` in a fresh Node with `DIST` as its argument; returns what it printed, parsed. */
function inChild(script: string): Record<string, boolean> {
  return JSON.parse(execFileSync(process.execPath, ["-e", script, DIST], { encoding: "utf8" })) as Record<
    string,
    boolean
  >;
}

const LOADED = `
const dist = process.argv[1];
const loaded = (suffix) => Object.keys(require.cache).some((f) => f.endsWith(suffix));
const CSRF = "/proto/gen/envoy/extensions/filters/http/csrf/v3/csrf.js";
const RBAC = "/proto/gen/envoy/config/rbac/v3/rbac.js";
const DESCRIPTORS = "/proto/gen/descriptors.js";
const PROTOBUF = "/@bufbuild/protobuf/dist/cjs/index.js";
`;

describe("generated proto modules load on first use", function () {
  this.timeout(30_000);

  it("a filter's module is loaded when a route needs the filter, not with the controller", () => {
    const out = inChild(`${LOADED}
      require(dist + "/operator/src/cmd/controller-cmd.js");
      const atStart = { csrf: loaded(CSRF), rbac: loaded(RBAC), descriptors: loaded(DESCRIPTORS), protobuf: loaded(PROTOBUF) };
      const { csrf } = require(dist + "/operator/src/xds/translate/filters/csrf.js");
      const percent = { numerator: 100, denominator: "HUNDRED" };
      const route = { name: "r", security: { csrf: { enforced: percent, additionalOrigins: [] } } };
      const config = csrf.perRouteConfig(route);
      const afterCsrf = loaded(CSRF);
      require(dist + "/operator/src/xds/patch/protojson.js").messageOf("type.googleapis.com/envoy.config.cluster.v3.Cluster");
      console.log(JSON.stringify({ ...atStart, packed: config !== undefined, afterCsrf, afterProtojson: loaded(DESCRIPTORS) && loaded(PROTOBUF) }));
    `);
    assert.deepEqual(out, {
      csrf: false,
      rbac: false,
      descriptors: false,
      protobuf: false,
      packed: true,
      afterCsrf: true,
      afterProtojson: true,
    });
  });

  it("translating and building plain HTTPRoutes loads no filter, RBAC or protojson module", () => {
    const out = inChild(`${LOADED}
      require(dist + "/operator/src/cmd/controller-cmd.js");
      const before = new Set(Object.keys(require.cache).filter((f) => f.includes("/proto/gen/")));
      const { buildObjects, TRANSLATE_OPTIONS } = require(dist + "/bench/lib/fixtures.js");
      const { snapshotFromObjects } = require(dist + "/operator/src/resources/snapshot.js");
      const { translate } = require(dist + "/operator/src/translate/translate.js");
      const { buildNodeResources } = require(dist + "/operator/src/xds/translate/resources.js");
      const { layOut } = require(dist + "/operator/src/xds/translate/layout.js");
      const ir = translate(snapshotFromObjects(buildObjects(50)), TRANSLATE_OPTIONS).xdsIr[0];
      const built = layOut(buildNodeResources(ir, null), "scoped");
      const added = Object.keys(require.cache).filter((f) => f.includes("/proto/gen/") && !before.has(f));
      const optional = /\\/(filters\\/http\\/(?!cors|stateful_session|router)|config\\/rbac|descriptors)/;
      console.log(JSON.stringify({ built: built.size > 0, optional: added.some((f) => optional.test(f)), csrf: loaded(CSRF), protobuf: loaded(PROTOBUF) }));
    `);
    // CORS and stateful session are on every HTTP connection manager (as Envoy Gateway places them).
    assert.deepEqual(out, { built: true, optional: false, csrf: false, protobuf: false });
  });

  it("every registered type's module has the message its name says", () => {
    // The controller's entry module registers every type (only the codecs wait for their first use).
    const types = registeredTypes();
    assert.ok(types.length > 100, `${types.length} registered types`);
    for (const t of types) assert.equal(t.codec.$type, t.name, t.typeUrl);
  });
});
