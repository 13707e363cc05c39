/**
 * The harness kubelet's SPDY/3.1 pieces that are pure (e2e/harness/spdy-frames.ts and the protocol negotiation
 * of kubelet-port-forward-spdy.ts). Real kubectl against them: e2e/test/kubectl-port-forward.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { constants, deflateSync, inflateSync } from "node:zlib";
import { negotiateSpdyProtocol } from "../../e2e/harness/kubelet-port-forward-spdy";
import {
  ControlType,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FrameReader,
  headerDictionary,
  pingFrame,
  synReplyFrame,
} from "../../e2e/harness/spdy-frames";

describe("harness SPDY/3.1 framing", () => {
  it("the header dictionary is SPDY/3's: 1,423 bytes, the same as moby/spdystream v0.5.1's", () => {
    const dict = headerDictionary();
    assert.equal(dict.length, 1423);
    assert.equal(
      createHash("sha256").update(dict).digest("hex"),
      "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02",
    );
  });

  it("reads frames split at every byte boundary back with their fields", () => {
    const wire = Buffer.concat([
      synReplyFrame(3, Buffer.from([1, 2, 3])),
      dataFrame(5, Buffer.from("hello"), true),
      pingFrame(7),
    ]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const reader = new FrameReader();
      const frames = [...reader.push(wire.subarray(0, cut)), ...reader.push(wire.subarray(cut))];
      assert.equal(frames.length, 3, `cut at ${cut}`);
      const [reply, data, ping] = frames;
      assert.deepEqual(
        reply?.kind === "control" && [reply.version, reply.type, reply.flags, reply.payload.toString("hex")],
        [3, ControlType.SYN_REPLY, 0, "00000003010203"],
      );
      assert.deepEqual(data?.kind === "data" && [data.streamId, data.flags, data.data.toString()], [5, 1, "hello"]);
      assert.deepEqual(ping?.kind === "control" && [ping.type, ping.payload.readUInt32BE(0)], [ControlType.PING, 7]);
    }
  });

  it("header blocks round-trip through zlib with the dictionary; names lower-cased, NUL-separated values split", () => {
    const block = encodeHeaderBlock({ streamType: "data", port: "19000", requestID: "0", multi: "a\0b" });
    const dictionary = headerDictionary();
    const compressed = deflateSync(block, { dictionary, finishFlush: constants.Z_SYNC_FLUSH });
    const headers = decodeHeaderBlock(inflateSync(compressed, { dictionary, finishFlush: constants.Z_SYNC_FLUSH }));
    assert.deepEqual(Object.fromEntries(headers), {
      streamtype: ["data"],
      port: ["19000"],
      requestid: ["0"],
      multi: ["a", "b"],
    });
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), /truncated SPDY header block/);
  });

  it("negotiates portforward.k8s.io from X-Stream-Protocol-Version, else 400 or 403 as the kubelet", () => {
    assert.deepEqual(negotiateSpdyProtocol("portforward.k8s.io"), { protocol: "portforward.k8s.io" });
    assert.deepEqual(negotiateSpdyProtocol(["v9.example, portforward.k8s.io"]), { protocol: "portforward.k8s.io" });
    assert.equal((negotiateSpdyProtocol(undefined) as { status: string }).status, "400 Bad Request");
    assert.deepEqual(negotiateSpdyProtocol("v9.example"), {
      status: "403 Forbidden",
      message:
        "unable to upgrade: unable to negotiate protocol: client supports [v9.example], server accepts [portforward.k8s.io]",
    });
  });
});
