/**
 * The EnvoyGateway configuration's `extensionManager`: the values egts takes (Envoy Gateway's defaults filled in)
 * and the startup errors (file:line:column) for invalid or unimplemented settings.
 */
import assert from "node:assert/strict";
import {
  EnvoyGatewayConfigError,
  parseEnvoyGatewayConfig,
  type EnvoyGatewayConfig,
} from "../../operator/src/config/envoy-gateway-config";

const HEAD = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n";

function parse(body: string): EnvoyGatewayConfig {
  return parseEnvoyGatewayConfig("eg.yaml", HEAD + body);
}

function errorOf(body: string): string {
  try {
    parse(body);
  } catch (err) {
    assert.ok(err instanceof EnvoyGatewayConfigError, String(err));
    return err.message;
  }
  assert.fail(`expected an EnvoyGatewayConfigError for:\n${body}`);
}

describe("EnvoyGateway configuration: extensionManager", () => {
  it("reads Envoy Gateway's extension server example with its defaults", () => {
    const c = parse(`extensionManager:
  resources:
  - group: example.extensions.io
    version: v1alpha1
    kind: ListenerContextExample
  backendResources:
  - { group: example.extensions.io, version: v1alpha1, kind: S3Backend }
  hooks:
    xdsTranslator:
      translation:
        listener: { includeAll: true }
      post: [HTTPListener, Route, Cluster, Translation, Route]
  service:
    fqdn:
      hostname: extension-server.envoy-gateway-system.svc.cluster.local
      port: 5005
`);
    const m = c.extensionManagers?.[0];
    assert.ok(m);
    assert.deepEqual(m.resources, [
      { group: "example.extensions.io", version: "v1alpha1", kind: "ListenerContextExample" },
    ]);
    assert.deepEqual(
      m.backendResources.map((k) => k.kind),
      ["S3Backend"],
    );
    assert.deepEqual(m.hooks, ["HTTPListener", "Route", "Cluster", "Translation"]);
    assert.deepEqual(m.translation, { listeners: true, routes: false, clusters: true, secrets: true });
    assert.deepEqual(m.service.address, {
      type: "tcp",
      host: "extension-server.envoy-gateway-system.svc.cluster.local",
      port: 5005,
    });
    assert.equal(m.failOpen, false);
    assert.equal(m.maxMessageSize, 4 * 1024 * 1024);
    assert.deepEqual(m.service.retry, {
      maxAttempts: 4,
      initialBackoffMs: 100,
      maxBackoffMs: 1000,
      backoffMultiplier: 2,
      retryableStatusCodes: ["UNAVAILABLE"],
    });
  });

  it("reads unix sockets, TLS, retry, failOpen and maxMessageSize", () => {
    const c = parse(`extensionManager:
  hooks: { xdsTranslator: { post: [Route] } }
  failOpen: true
  maxMessageSize: 10Mi
  service:
    unix: { path: /run/ext.sock }
    tls:
      certificateRef: { name: ext-ca }
      clientCertificateRef: { name: ext-client, namespace: other }
    retry:
      maxAttempts: 2
      initialBackoff: 50ms
      backoffMultiplier: { numerator: 150 }
      RetryableStatusCodes: [UNAVAILABLE, INTERNAL]
`);
    const m = c.extensionManagers?.[0];
    assert.ok(m);
    assert.deepEqual(m.service.address, { type: "unix", path: "/run/ext.sock" });
    assert.deepEqual(m.service.tls, {
      certificateRef: { name: "ext-ca" },
      clientCertificateRef: { name: "ext-client", namespace: "other" },
    });
    assert.equal(m.failOpen, true);
    assert.equal(m.maxMessageSize, 10 * 1024 * 1024);
    assert.equal(m.service.retry.maxAttempts, 2);
    assert.equal(m.service.retry.initialBackoffMs, 50);
    assert.equal(m.service.retry.backoffMultiplier, 1.5);
    assert.deepEqual(m.service.retry.retryableStatusCodes, ["UNAVAILABLE", "INTERNAL"]);
  });

  it("refuses what cannot work, naming file:line:column", () => {
    assert.match(
      errorOf("extensionManager:\n  hooks: { xdsTranslator: { post: [Route] } }\n"),
      /^eg\.yaml:4:3: extensionManager\.service is required/,
    );
    assert.match(
      errorOf(
        "extensionManager:\n  hooks: { xdsTranslator: { post: [Routes] } }\n  service: { ip: { address: 127.0.0.1, port: 5005 } }\n",
      ),
      /^eg\.yaml:4:36: extensionManager\.hooks\.xdsTranslator\.post\[0\]: Routes is not one of VirtualHost, Route/,
    );
    assert.match(
      errorOf(
        "extensionManager:\n  hooks: {}\n  service: { ip: { address: 127.0.0.1, port: 5005 }, unix: { path: /x } }\n",
      ),
      /extensionManager\.service needs exactly one of fqdn, ip, unix or host \(got 2\)/,
    );
    assert.match(
      errorOf(
        "extensionManager:\n  hooks: {}\n  maxMessageSize: lots\n  service: { ip: { address: 127.0.0.1, port: 5005 } }\n",
      ),
      /^eg\.yaml:5:19: extensionManager\.maxMessageSize must be a quantity of bytes/,
    );
    assert.match(
      errorOf("extensionManagers: []\n"),
      /^eg\.yaml:3:20: extensionManagers must contain at least one entry/,
    );
    const svc = "hooks: { xdsTranslator: { post: [Route] } }, service: { ip: { address: 127.0.0.1, port: 5005 } }";
    assert.match(errorOf(`extensionManagers:\n  - { ${svc} }\n`), /extensionManagers\[0\]\.name is required/);
    assert.match(
      errorOf(`extensionManagers:\n  - { name: a, ${svc} }\n  - { name: a, ${svc} }\n`),
      /extensionManagers\[1\]: duplicate name a/,
    );
    assert.match(
      errorOf(`extensionManager: { ${svc} }\nextensionManagers:\n  - { name: a, ${svc} }\n`),
      /^eg\.yaml:4:1: extensionManager and extensionManagers are mutually exclusive/,
    );
  });

  it("extensionManagers: each server in order, with its policyResources; pre hooks accepted with a note", () => {
    const svc = (port: number): string => `service: { ip: { address: 127.0.0.1, port: ${port} } }`;
    const c = parse(`extensionManagers:
  - name: first
    policyResources: [{ group: x.io, version: v1, kind: P }]
    hooks: { xdsTranslator: { post: [Route, Translation] } }
    ${svc(5005)}
  - name: second
    failOpen: true
    hooks: { xdsTranslator: { pre: [Route], post: [HTTPListener] } }
    ${svc(5006)}
`);
    const ms = c.extensionManagers ?? [];
    assert.deepEqual(
      ms.map((m) => [m.name, m.hooks, m.failOpen, m.policyResources.map((k) => k.kind)]),
      [
        ["first", ["Route", "Translation"], false, ["P"]],
        ["second", ["HTTPListener"], true, []],
      ],
    );
    assert.ok(
      c.notes.some((n) => /extensionManagers\[1\]\.hooks\.xdsTranslator\.pre: Route accepted, never called/.test(n)),
      c.notes.join("\n"),
    );
  });

  it("service address forms as Envoy Gateway v1.9.1 dials them: fqdn, ip, unix, host + port, hostname", () => {
    const address = (service: string): unknown =>
      parse(`extensionManager:\n  hooks: { xdsTranslator: { post: [Route] } }\n  service: ${service}\n`)
        .extensionManagers?.[0]?.service.address;
    assert.deepEqual(address("{ fqdn: { hostname: ext.example., port: 5005 } }"), {
      type: "tcp",
      host: "ext.example.",
      port: 5005,
    });
    assert.deepEqual(address("{ ip: { address: '::1', port: 5005 } }"), { type: "tcp", host: "::1", port: 5005 });
    assert.deepEqual(address("{ unix: { path: /run/ext.sock } }"), { type: "unix", path: "/run/ext.sock" });
    // The deprecated host: port defaults to 80; hostname (the inline BackendEndpoint's) replaces it, as Envoy
    // Gateway's address function checks hostname before host.
    assert.deepEqual(address("{ host: ext.local }"), { type: "tcp", host: "ext.local", port: 80 });
    assert.deepEqual(address("{ host: ext.local, port: 5005, hostname: other.local }"), {
      type: "tcp",
      host: "other.local",
      port: 5005,
    });
    // Beside fqdn, ip or unix, hostname is not used (a note says so), and zone has nothing to act on.
    const c = parse(`extensionManager:
  hooks: { xdsTranslator: { post: [Route] } }
  service: { fqdn: { hostname: ext.local, port: 5005 }, hostname: ignored.local, zone: zone-a }
`);
    assert.deepEqual(c.extensionManagers?.[0]?.service.address, { type: "tcp", host: "ext.local", port: 5005 });
    assert.ok(
      c.notes.some((n) => /service\.hostname: not used, the fqdn or ip address is/.test(n)),
      c.notes.join("\n"),
    );
    assert.ok(
      c.notes.some((n) => /service\.zone: accepted, no effect/.test(n)),
      c.notes.join("\n"),
    );
    // Envoy Gateway's validation: hostname alone is no target; fqdn beside host is two.
    assert.match(
      errorOf("extensionManager:\n  hooks: {}\n  service: { hostname: ext.local, port: 5005 }\n"),
      /service needs exactly one of fqdn, ip, unix or host \(got 0\) \(hostname needs the deprecated host beside it\)/,
    );
    assert.match(
      errorOf("extensionManager:\n  hooks: {}\n  service: { host: a.local, fqdn: { hostname: b.local, port: 1 } }\n"),
      /needs exactly one of fqdn, ip, unix or host \(got 2\)/,
    );
    assert.match(
      errorOf(`extensionManager:\n  hooks: {}\n  service: { unix: { path: /${"s".repeat(120)} } }\n`),
      /^eg\.yaml:5:\d+: extensionManager\.service\.unix\.path must not exceed 108 characters/,
    );
  });
});
