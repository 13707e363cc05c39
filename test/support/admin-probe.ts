/**
 * Probing Envoy's admin API from outside: raw HTTP/1.1 requests (raw sockets, so no client normalises the
 * path for us), the path tricks an attacker would try on the readiness and stats listeners, and the strings
 * only admin output carries. Shared by the standalone and the Kubernetes-tier admin exposure tests.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";

/** Status code and body (everything after the head) of one raw exchange. */
export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** One raw HTTP/1.1 exchange with `Connection: close` on host:port; resolves the status code and the body. */
export function rawRequest(port: number, method: string, target: string, host = "127.0.0.1"): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, host);
    let data = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => (data += d));
    sock.on("error", reject);
    sock.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (!m)
        return reject(new Error(`no HTTP response to ${method} ${target}: ${JSON.stringify(data.slice(0, 200))}`));
      resolve({ status: Number(m[1]), body: data.slice(data.indexOf("\r\n\r\n") + 4) });
    });
    sock.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    setTimeout(() => sock.destroy(), 5000).unref();
  });
}

/** Strings that only Envoy's admin output carries (config_dump, stats, help page, server_info). */
export const ADMIN_MARKERS: readonly string[] = [
  "@type",
  "configs",
  "server.live",
  "envoy_server",
  "admin commands",
  "quitquitquit",
  "cluster_manager",
  "OK\n",
  "command_line_options",
];

/**
 * Requests (method, raw request target) that must never reach admin through the readiness or stats
 * listener: dot segments plain and percent-encoded, encoded slashes, doubled slashes, other admin paths,
 * queries, absolute-form targets, other methods, and the admin POSTs that stop or fail the proxy.
 */
export const ADMIN_PATH_TRICKS: readonly (readonly [string, string])[] = [
  ["GET", "/ready/../config_dump"],
  ["GET", "/ready/%2e%2e/config_dump"],
  ["GET", "/ready/%2E%2E/config_dump"],
  ["GET", "/ready%2f..%2fconfig_dump"],
  ["GET", "/ready%2F..%2Fconfig_dump"],
  ["GET", "//ready/../stats"],
  ["GET", "/ready/..%2fstats"],
  ["GET", "/ready/./../server_info"],
  ["GET", "/stats/prometheus/../config_dump"],
  ["GET", "/config_dump"],
  ["GET", "/config_dump?include_eds"],
  ["GET", "/stats"],
  ["GET", "/readyz"],
  ["GET", "/ready?x=1"],
  ["GET", "/ready?format=json"],
  ["GET", "/ready/"],
  ["GET", "/"],
  ["GET", "/help"],
  ["GET", "http://x/config_dump"],
  ["POST", "/ready"],
  ["PUT", "/ready"],
  ["DELETE", "/ready"],
  ["HEAD", "/config_dump"],
  ["POST", "/quitquitquit"],
  ["POST", "/healthcheck/fail"],
  ["POST", "/ready/../quitquitquit"],
  ["POST", "/logging?level=trace"],
  ["POST", "/runtime_modify?x=1"],
];

/**
 * Sends every request of {@link ADMIN_PATH_TRICKS} to host:port at once (Envoy delays each close by a
 * second after `Connection: close`) and asserts that each is refused (status 400 or more) with no admin
 * output in its body. `what` names the listener in the failure messages.
 */
export async function assertNoAdminOutput(what: string, port: number, host = "127.0.0.1"): Promise<void> {
  const results = await Promise.all(ADMIN_PATH_TRICKS.map(([m, p]) => rawRequest(port, m, p, host)));
  for (const [i, [method, target]] of ADMIN_PATH_TRICKS.entries()) {
    const r = results[i] ?? { status: 0, body: "" };
    assert.ok(r.status >= 400, `${method} ${target} on ${what} answered ${r.status}: ${r.body.slice(0, 200)}`);
    for (const marker of ADMIN_MARKERS) {
      assert.ok(!r.body.includes(marker), `${method} ${target} on ${what} returned admin output (${marker})`);
    }
  }
}
