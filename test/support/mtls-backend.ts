/** An HTTPS backend that requires a client certificate, and the YAML that reaches it through a BackendTLSPolicy. */
import { createServer, type Server } from "node:https";
import type { TLSSocket } from "node:tls";
import { freePort } from "./http";
import type { TestCa } from "./pki";

/** The name the mTLS backend's certificate is issued for (BackendTLSPolicy validation.hostname). */
export const MTLS_BACKEND_HOST = "backend.example.com";

/**
 * An HTTPS server on 127.0.0.1 that requires a client certificate from `clientCa` and answers `{ clientCn, sni }`
 * (the client certificate's common name and the SNI the client sent).
 */
export async function startMtlsBackend(serverCa: TestCa, clientCa: TestCa): Promise<{ server: Server; port: number }> {
  const pair = serverCa.issue(MTLS_BACKEND_HOST);
  const server = createServer(
    { key: pair.key, cert: pair.cert, ca: clientCa.cert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ clientCn: peer.subject?.CN, sni: socket.servername }));
    },
  );
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port };
}

/**
 * Service default/secure:443 → 127.0.0.1:`target` and its BackendTLSPolicy (CA from ConfigMap backend-ca,
 * hostname MTLS_BACKEND_HOST).
 */
export function mtlsServiceYaml(target: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: secure, namespace: default }
spec:
  ports: [{ name: https, port: 443, targetPort: ${target} }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: secure-1
  namespace: default
  labels: { kubernetes.io/service-name: secure }
addressType: IPv4
ports: [{ name: https, port: ${target} }]
endpoints: [{ addresses: [127.0.0.1] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: secure-tls, namespace: default }
spec:
  targetRefs: [{ group: "", kind: Service, name: secure }]
  validation:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: backend-ca }]
    hostname: ${MTLS_BACKEND_HOST}
`;
}
