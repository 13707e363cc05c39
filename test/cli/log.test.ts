/**
 * Log lines cannot be forged or turned into terminal sequences by input: control characters in the
 * message and in field values (names, node ids) are escaped, every event is one line, and each field is
 * capped in length.
 */
import assert from "node:assert/strict";
import { createLogger, MAX_FIELD_CHARS } from "../../operator/src/log";

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger("debug", (l) => lines.push(l)) };
}

/** True when `s` has a C0/C1 control character, DEL, or a Unicode line separator. */
function hasControl(s: string): boolean {
  return [...s].some((c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 || (n >= 0x7f && n <= 0x9f) || n === 0x2028 || n === 0x2029;
  });
}

describe("logger: escaping and caps", () => {
  const evil = "\u001b[31mdefault/eg\r\n2026-01-01T00:00:00.000Z ERROR forged line\u0000\u0085\u2028";

  it("a Gateway name with an ANSI escape and a newline is one line with the characters escaped", () => {
    const { lines, log } = capture();
    log("info", "envoy started", { gateway: evil, pid: 42 });
    assert.equal(lines.length, 1);
    assert.ok(!hasControl(lines[0]), JSON.stringify(lines[0]));
    assert.ok(
      lines[0].endsWith(
        ' envoy started gateway="\\u001b[31mdefault/eg\\r\\n2026-01-01T00:00:00.000Z ERROR forged line\\u0000\\u0085\\u2028" pid=42',
      ),
      lines[0],
    );
  });

  it("a bare value with an escape but no space is quoted and escaped too (a node id)", () => {
    const { lines, log } = capture();
    log("warn", "stream", { node: "a\u001b[2Jb", plain: "default/eg", empty: "", eq: "a=b" });
    assert.match(lines[0], / stream node="a\\u001b\[2Jb" plain=default\/eg empty="" eq="a=b"$/);
  });

  it("the message is escaped as well (messages carry input-derived text)", () => {
    const { lines, log } = capture();
    log("error", `invalid input: ${evil}`);
    assert.equal(lines.length, 1);
    assert.ok(!hasControl(lines[0]), JSON.stringify(lines[0]));
    assert.match(lines[0], /invalid input: \\u001b\[31mdefault\/eg\\r\\n2026/);
  });

  it("objects are written as JSON with control characters escaped", () => {
    const { lines, log } = capture();
    log("info", "x", { problems: ["bad\u009bname", { n: "\u007f" }] });
    assert.match(lines[0], / x problems=\["bad\\u009bname",\{"n":"\\u007f"\}\]$/);
  });

  it(`a field is capped at ${MAX_FIELD_CHARS} characters with the number cut`, () => {
    const { lines, log } = capture();
    log("info", "big", { name: "n".repeat(5000), list: Array(2000).fill("x") });
    assert.match(lines[0], new RegExp(` big name=n{${MAX_FIELD_CHARS}}…\\(\\+${5000 - MAX_FIELD_CHARS}\\) list=`));
    assert.match(lines[0], /list=\["x","x".*…\(\+\d+\)$/);
    assert.ok(lines[0].length < 2 * MAX_FIELD_CHARS + 200, `${lines[0].length} characters`);
  });
});
