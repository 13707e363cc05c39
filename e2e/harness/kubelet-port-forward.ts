/**
 * The kubelet's port-forward endpoint, `/portForward/{namespace}/{pod}[/{uid}]`: over SPDY/3.1 (what real
 * `kubectl port-forward` reaches, kubelet-port-forward-spdy.ts; the ports come in each stream's headers) or,
 * with `?port=P[,P…]`, over WebSocket as the kubelet serves it (k8s.io/kubelet streaming portforward, protocol `v4.channel.k8s.io` or none): the API
 * server's `pods/portforward` subresource proxies a client's WebSocket upgrade here (kube-apiserver passes
 * non-tunneling WebSocket port-forwards through to the kubelet). For the i-th port, channel 2i carries the
 * data both ways and channel 2i+1 the errors; each channel's first message from the kubelet is the port
 * (uint16, little endian). Each port is dialled at 127.0.0.1 inside the pod's network namespace, as the
 * container runtime does, so a port the pod binds on its own loopback (Envoy's admin) is reached; a refused
 * connection is reported on the error channel (`error forwarding port …`). The connection closes once every
 * port's connection has ended. Not simulated: the base64 protocol, idle timeouts, WebSocket-tunnelled SPDY at
 * the kubelet (kube-apiserver sends it only to a node that declares the ExtendWebSocketsToKubelet feature;
 * this one does not, so the API server unwraps kubectl's tunnel and upgrades to SPDY here).
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { acceptSpdyPortForward, isSpdyUpgrade } from "./kubelet-port-forward-spdy";
import { acceptWebSocket, isWebSocketRequest, type WebSocketConn } from "./websocket";

/** The command prefix that enters a running pod's network namespace (`namespace/name`), or undefined. */
export type PodEnter = (pod: string) => readonly string[] | undefined;

/** The WebSocket protocols of the kubelet's port-forward that are simulated. */
const PROTOCOLS = ["v4.channel.k8s.io", ""] as const;

/** The ports of a request's `port` parameters; throws naming a bad one. */
export function forwardPorts(query: URLSearchParams): number[] {
  const values = query.getAll("port").flatMap((v) => v.split(","));
  if (values.length === 0) throw new Error('query parameter "port" is required');
  return values.map((v) => {
    const port = Number(v);
    if (!/^\d+$/.test(v) || port < 1 || port > 65535) throw new Error(`port "${v}" must be 1-65535`);
    return port;
  });
}

function refuse(socket: Duplex, status: string, message: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\n\r\n${message}\n`);
}

/** Handles an upgrade request to `/portForward/…`; returns false when the path is not a port-forward one. */
export function handlePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, enter: PodEnter): boolean {
  const url = new URL(req.url ?? "/", "https://kubelet");
  const m = /^\/portForward\/([^/]+)\/([^/]+)(?:\/[^/]+)?$/.exec(url.pathname);
  if (!m) return false;
  const webSocket = isWebSocketRequest(req);
  if (!webSocket && !isSpdyUpgrade(req)) {
    refuse(socket, "400 Bad Request", "unable to upgrade: missing upgrade headers in request (SPDY/3.1 or WebSocket)");
    return true;
  }
  let ports: number[] = [];
  try {
    if (webSocket) ports = forwardPorts(url.searchParams);
  } catch (err) {
    refuse(socket, "400 Bad Request", (err as Error).message);
    return true;
  }
  const pod = `${decodeURIComponent(m[1] ?? "")}/${decodeURIComponent(m[2] ?? "")}`;
  const prefix = enter(pod);
  if (!prefix) {
    refuse(socket, "404 Not Found", "pod does not exist");
    return true;
  }
  if (!webSocket) {
    acceptSpdyPortForward(req, socket, head, (port, onError) => dialPod(pod, prefix, port, onError));
    return true;
  }
  const ws = acceptWebSocket(req, socket, head, PROTOCOLS);
  if (ws) forward(ws, pod, prefix, ports);
  return true;
}

/**
 * A connection to `port` on the loopback of `pod`: pod-dial.ts run in the pod's network namespace (`prefix`),
 * its stdin/stdout the connection. A failed dial calls `onError` with the kubelet's message.
 */
function dialPod(
  pod: string,
  prefix: readonly string[],
  port: number,
  onError: (message: string) => void,
): ChildProcess {
  const [command, ...args] = [...prefix, process.execPath, join(__dirname, "pod-dial.js"), String(port)];
  const child = spawn(command ?? "nsenter", args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.on("error", () => undefined);
  child.on("exit", (code) => {
    if (code !== 0) onError(`error forwarding port ${port} to pod ${pod}: ${stderr.trim() || `exit ${String(code)}`}`);
  });
  return child;
}

/** One dialled port: its data channel's writer and its dialer process. */
function dial(ws: WebSocketConn, pod: string, prefix: readonly string[], port: number, index: number): ChildProcess {
  const data = 2 * index;
  const child = dialPod(pod, prefix, port, (message) =>
    ws.send(Buffer.concat([Buffer.from([data + 1]), Buffer.from(message)])),
  );
  child.stdout?.on("data", (chunk: Buffer) => ws.send(Buffer.concat([Buffer.from([data]), chunk])));
  return child;
}

function forward(ws: WebSocketConn, pod: string, prefix: readonly string[], ports: readonly number[]): void {
  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    ws.send(Buffer.concat([Buffer.from([2 * i]), portBytes]));
    ws.send(Buffer.concat([Buffer.from([2 * i + 1]), portBytes]));
  });
  const dialers = ports.map((port, i) => dial(ws, pod, prefix, port, i));
  let open = dialers.length;
  for (const d of dialers) {
    d.on("close", () => {
      open -= 1;
      if (open === 0) ws.close();
    });
  }
  ws.onMessage((message) => {
    const channel = message[0];
    const dialer = channel !== undefined && channel % 2 === 0 ? dialers[channel / 2] : undefined;
    if (dialer?.stdin?.writable) dialer.stdin.write(message.subarray(1));
  });
  ws.onClose(() => {
    for (const d of dialers) {
      d.stdin?.end();
      if (d.exitCode === null) d.kill("SIGTERM");
    }
  });
}
