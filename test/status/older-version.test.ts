/** The status writer's resourceVersion order. */
import assert from "node:assert/strict";
import { olderVersion } from "../../operator/src/status/status-writer";

describe("olderVersion", () => {
  it("orders decimal resourceVersions numerically, and never calls anything else older", () => {
    assert.equal(olderVersion("99", "100"), true);
    assert.equal(olderVersion("100", "99"), false);
    assert.equal(olderVersion("1234", "1234"), false);
    assert.equal(olderVersion("1233", "1234"), true);
    assert.equal(olderVersion(undefined, "5"), false);
    assert.equal(olderVersion("abc", "5"), false);
    assert.equal(olderVersion("5", "x7"), false);
  });
});
