/**
 * The global rate limit service, real: a real redis-server, our rate limit xDS server and the real
 * envoyproxy/ratelimit service (HostRateLimitService), with calls to the service's own gRPC API
 * (ShouldRateLimit). The limits use the Hour unit so that no counting window ends in the middle of a case.
 * The cases run in order on one service and one Redis, each continuing the counts of the one before.
 * Needs `bash scripts/install-ratelimit.sh`.
 */
import * as assert from "node:assert/strict";
import { firstValueFrom, filter } from "rxjs";
import { loadEnv } from "../../operator/src/config/env";
import { HostRateLimitService } from "../../operator/src/infra/host/ratelimit-runner";
import { RateLimitProcess } from "../../operator/src/infra/host/ratelimit-process";
import type { GlobalRateLimitIr, RateLimitDescriptorIr } from "../../operator/src/ir/ratelimit-ir";
import { buildRateLimitConfigs } from "../../operator/src/xds/ratelimit/translate";
import { jsonLogger, type XdsLogger } from "../../operator/src/xds/server/types";
import {
  RateLimitResponse_Code as Code,
  RateLimitResponse_RateLimit_Unit as Unit,
  type RateLimitResponse,
} from "../../proto/gen/envoy/service/ratelimit/v3/rls";
import { eventually, freePort } from "../support/http";
import { ratelimitBinary, ShouldRateLimitClient, startRedis, type TestRedis } from "../support/ratelimit";

const DOMAIN = "default/eg/http";
const verbose = loadEnv().testLog;
const quiet: XdsLogger = () => undefined;

function generic(
  value: string,
  requestsPerUnit: number,
  extra: Partial<RateLimitDescriptorIr> = {},
): RateLimitDescriptorIr {
  return { key: "generic_key", value, rateLimit: { requestsPerUnit, unit: "Hour" }, ...extra };
}

/** The starting configuration: foo 3/h, bar 3/h, shadow 2/h in shadow mode. */
const IR1: GlobalRateLimitIr = {
  domains: [
    { name: DOMAIN, descriptors: [generic("foo", 3), generic("bar", 3), generic("shadow", 2, { shadowMode: true })] },
  ],
};
/** The update: foo raised to 10/h, a new descriptor baz at 1/h. */
const IR2: GlobalRateLimitIr = {
  domains: [
    {
      name: DOMAIN,
      descriptors: [
        generic("foo", 10),
        generic("bar", 3),
        generic("shadow", 2, { shadowMode: true }),
        generic("baz", 1),
      ],
    },
  ],
};

const codes = (rs: readonly RateLimitResponse[]): string[] => rs.map((r) => Code[r.overallCode]);

describe("global rate limit service (real envoyproxy/ratelimit + Redis, configured over our xDS)", function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let svc: HostRateLimitService;
  let rl1: ShouldRateLimitClient;
  let second: RateLimitProcess | undefined;
  let rl2: ShouldRateLimitClient | undefined;

  /** Resolves when `n` streams have acknowledged `version`. */
  const acked = (version: string, n: number): Promise<number> =>
    eventually(
      async () => svc.xds.clients().filter((c) => c.ackedVersion === version).length >= n,
      15_000,
      `${n} rate limit service(s) to ACK version ${version}`,
      5,
    );

  before(async () => {
    const binary = ratelimitBinary();
    redis = await startRedis();
    svc = new HostRateLimitService({
      binary,
      redisUrl: redis.url,
      grpcPort: await freePort(),
      logger: verbose ? jsonLogger("debug") : quiet,
      output: verbose ? "inherit" : "ignore",
    });
    const v1 = svc.update(IR1);
    const t0 = Date.now();
    await svc.start();
    const listening = Date.now() - t0;
    await acked(v1, 1);
    console.log(
      `      service start: listening after ${listening} ms, config version ${v1} ACKed after ${Date.now() - t0} ms`,
    );
    rl1 = new ShouldRateLimitClient(svc.grpcAddress);
  });

  after(async () => {
    rl1?.close();
    rl2?.close();
    await second?.stop();
    await svc?.stop();
    await redis?.stop();
  });

  it("answers OK three times, then OVER_LIMIT (3 per hour), with the configured limit in the status", async () => {
    const rs: RateLimitResponse[] = [];
    for (let i = 0; i < 4; i++) rs.push(await rl1.check(DOMAIN, [["generic_key", "foo"]]));
    assert.deepEqual(codes(rs), ["OK", "OK", "OK", "OVER_LIMIT"]);
    assert.deepEqual(
      rs.map((r) => r.statuses[0]?.limitRemaining),
      [2, 1, 0, 0],
    );
    assert.equal(rs[0]?.statuses[0]?.currentLimit?.requestsPerUnit, 3);
    assert.equal(rs[0]?.statuses[0]?.currentLimit?.unit, Unit.HOUR);
    // A descriptor the configuration does not name is not limited.
    const other = await rl1.check(DOMAIN, [["generic_key", "unknown"]]);
    assert.equal(Code[other.overallCode], "OK");
    assert.equal(other.statuses[0]?.currentLimit, undefined);
  });

  it("a second service process on the same Redis shares the count (the limit is global)", async () => {
    second = new RateLimitProcess({
      binary: ratelimitBinary(),
      redisUrl: redis.url,
      xdsAddress: svc.xdsAddress,
      grpcPort: await freePort(),
      output: verbose ? "inherit" : "ignore",
    });
    await second.start();
    await acked(svc.xds.version ?? "", 2);
    rl2 = new ShouldRateLimitClient(second.grpcAddress);
    // foo is already over its limit, counted by the first process. (The service ACKs as it hands the new
    // configuration to the goroutine that installs it, so the first call may come a moment early; a call that
    // matches no limit is not counted.)
    await eventually(
      async () => Code[(await rl2!.check(DOMAIN, [["generic_key", "foo"]])).overallCode] === "OVER_LIMIT",
      2000,
      "foo over its limit on the second process",
      5,
    );
    // bar, alternating between the two processes: 3 hits in all are allowed, the 4th is not.
    const rs = [
      await rl1.check(DOMAIN, [["generic_key", "bar"]]),
      await rl2.check(DOMAIN, [["generic_key", "bar"]]),
      await rl1.check(DOMAIN, [["generic_key", "bar"]]),
      await rl2.check(DOMAIN, [["generic_key", "bar"]]),
    ];
    assert.deepEqual(codes(rs), ["OK", "OK", "OK", "OVER_LIMIT"]);
  });

  it("a configuration update over xDS takes effect in both processes without a restart", async () => {
    const pids = [svc.service?.pid, second?.pid];
    const before = await rl1.check(DOMAIN, [["generic_key", "baz"]]);
    assert.equal(before.statuses[0]?.currentLimit, undefined, "baz is not limited before the update");
    const t0 = Date.now();
    const v2 = svc.update(IR2);
    await acked(v2, 2);
    const ackMs = Date.now() - t0;
    // The first call that sees the new limit; calls before it are not counted (no limit applied).
    await eventually(
      async () => (await rl1.check(DOMAIN, [["generic_key", "baz"]])).statuses[0]?.currentLimit?.requestsPerUnit === 1,
      10_000,
      "baz limited to 1/h",
      5,
    );
    const effectMs = Date.now() - t0;
    console.log(`      config update: both services ACKed after ${ackMs} ms, new limit enforced after ${effectMs} ms`);
    assert.equal(Code[(await rl2!.check(DOMAIN, [["generic_key", "baz"]])).overallCode], "OVER_LIMIT");
    // foo's limit went from 3 to 10: its 6th hit (over-limit hits count too) is now under it.
    const foo = await rl1.check(DOMAIN, [["generic_key", "foo"]]);
    assert.equal(Code[foo.overallCode], "OK");
    assert.equal(foo.statuses[0]?.currentLimit?.requestsPerUnit, 10);
    assert.equal(foo.statuses[0]?.limitRemaining, 4);
    assert.deepEqual([svc.service?.pid, second?.pid], pids, "no process was restarted");
  });

  it("shadow mode answers OK beyond the limit, and still counts (remaining 0, Redis count past the limit)", async () => {
    const rs: RateLimitResponse[] = [];
    for (let i = 0; i < 4; i++) rs.push(await rl1.check(DOMAIN, [["generic_key", "shadow"]]));
    assert.deepEqual(codes(rs), ["OK", "OK", "OK", "OK"]);
    // envoyproxy/ratelimit rewrites a shadow-mode descriptor's OVER_LIMIT to OK (base_limiter.go); what shows
    // the limit was passed is the remaining count, 0, and the counter in Redis.
    assert.deepEqual(
      rs.map((r) => [Code[r.statuses[0]?.code ?? 0], r.statuses[0]?.limitRemaining]),
      [
        ["OK", 1],
        ["OK", 0],
        ["OK", 0],
        ["OK", 0],
      ],
    );
    const keys = redis.cli(["--scan", "--pattern", "*generic_key_shadow*"]).trim().split("\n");
    assert.equal(keys.length, 1, `one Redis counter for the shadow descriptor: ${keys.join(", ")}`);
    assert.equal(redis.cli(["GET", keys[0] ?? ""]).trim(), "4");
  });

  it("a NACKed configuration is logged and the service keeps its last good one; a new service gets the last good one", async () => {
    const good = svc.xds.version ?? "";
    const nack = firstValueFrom(svc.xds.events$.pipe(filter((e) => e.kind === "nack")));
    // Two configurations of one domain: the service refuses the set ("duplicate domain").
    const [config] = buildRateLimitConfigs(IR1);
    const bad = svc.xds.update([config!, { ...config!, name: "again" }]);
    assert.notEqual(bad, good);
    const e = await nack;
    assert.equal(e.version, bad);
    assert.match(e.error ?? "", /duplicate domain/);
    // IR2 still applies: foo at 10/h.
    const foo = await rl1.check(DOMAIN, [["generic_key", "foo"]]);
    assert.equal(foo.statuses[0]?.currentLimit?.requestsPerUnit, 10);
    assert.deepEqual(
      svc.xds.clients().map((c) => c.ackedVersion),
      [good, good],
    );
    // A service (re)connecting now is sent the last good version, not the rejected one.
    await second!.stop();
    rl2!.close();
    second = new RateLimitProcess({
      binary: ratelimitBinary(),
      redisUrl: redis.url,
      xdsAddress: svc.xdsAddress,
      grpcPort: await freePort(),
      output: verbose ? "inherit" : "ignore",
    });
    await second.start();
    await acked(good, 2);
    rl2 = new ShouldRateLimitClient(second.grpcAddress);
    await eventually(
      async () =>
        (await rl2!.check(DOMAIN, [["generic_key", "foo"]])).statuses[0]?.currentLimit?.requestsPerUnit === 10,
      2000,
      "the new process to enforce foo at 10/h",
      5,
    );
    // A good set after the rejected one is a new version, and accepted.
    const fixed = svc.update(IR2);
    assert.notEqual(fixed, bad);
    await acked(fixed, 2);
  });

  it("restarts a crashed service, which fetches its configuration again", async () => {
    const proc = svc.service!;
    const pid = proc.pid;
    const version = svc.xds.version;
    const exited = firstValueFrom(proc.events$.pipe(filter((e) => e.kind === "exited")));
    const t0 = Date.now();
    process.kill(pid!, "SIGKILL");
    await exited;
    await eventually(async () => proc.pid !== undefined && proc.pid !== pid, 10_000, "a new process", 10);
    await proc.ready();
    await eventually(
      async () =>
        (await rl1.check(DOMAIN, [["generic_key", "foo"]]).catch(() => undefined))?.statuses[0]?.currentLimit
          ?.requestsPerUnit === 10,
      15_000,
      "the restarted service to enforce foo's limit",
      20,
    );
    console.log(`      crash: restarted and enforcing version ${version} again after ${Date.now() - t0} ms`);
  });
});
