/**
 * The RE2 pattern a responseOverride status range becomes (custom-response.ts `rangePattern`): for ranges across
 * 100–599, the pattern matches exactly the codes in the range, and stays a few alternatives long.
 */
import * as assert from "node:assert/strict";
import { rangePattern } from "../../operator/src/xds/translate/filters/custom-response";

describe("responseOverride status range → RE2 pattern", () => {
  it("matches exactly the codes of every sampled range, with at most 5 alternatives", () => {
    for (let lo = 100; lo < 599; lo += 7) {
      for (let hi = lo + 1; hi <= 599; hi += 11) {
        const parts = rangePattern(lo, hi, 3);
        assert.ok(parts.length <= 5, `${lo}-${hi}: ${parts.join("|")}`);
        const re = new RegExp(`^(?:${parts.join("|")})$`);
        for (let code = 100; code <= 599; code++) {
          assert.equal(re.test(String(code)), code >= lo && code <= hi, `${lo}-${hi} on ${code}: ${parts.join("|")}`);
        }
      }
    }
  });

  it("reads well for the usual ranges", () => {
    assert.deepEqual(rangePattern(500, 599, 3), ["5[0-9][0-9]"]);
    assert.deepEqual(rangePattern(404, 503, 3), ["40[4-9]", "4[1-9][0-9]", "50[0-3]"]);
  });
});
