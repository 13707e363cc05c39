/**
 * EGTS_ROUTE_LAYOUT (ADR 0031): unset leaves the choice to the mode (standalone: scoped, Kubernetes: inline); a
 * value picks the layout in either mode; anything else stops start-up with the accepted values.
 */
import assert from "node:assert/strict";
import { EnvError, loadEnv } from "../../operator/src/config/env";

describe("EGTS_ROUTE_LAYOUT", function () {
  it("unset or empty: no layout chosen (each mode's default applies)", function () {
    assert.equal(loadEnv({}).routeLayout, undefined);
    assert.equal(loadEnv({ EGTS_ROUTE_LAYOUT: " " }).routeLayout, undefined);
  });

  it("scoped, inline and vhds, in any case", function () {
    assert.equal(loadEnv({ EGTS_ROUTE_LAYOUT: "scoped" }).routeLayout, "scoped");
    assert.equal(loadEnv({ EGTS_ROUTE_LAYOUT: "Inline" }).routeLayout, "inline");
    assert.equal(loadEnv({ EGTS_ROUTE_LAYOUT: "VHDS" }).routeLayout, "vhds");
  });

  it("another value is an error naming the accepted ones", function () {
    assert.throws(
      () => loadEnv({ EGTS_ROUTE_LAYOUT: "split" }),
      (err: unknown) => {
        assert.ok(err instanceof EnvError);
        assert.equal(err.message, "EGTS_ROUTE_LAYOUT=split is not one of inline, vhds, scoped");
        return true;
      },
    );
  });
});
