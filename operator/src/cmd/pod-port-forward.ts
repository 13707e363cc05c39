/**
 * A local port forwarded to a pod's port through the API server (`pods/portforward`, over WebSocket with
 * @kubernetes/client-node's PortForward), as egctl's local port forwarder: a listener on 127.0.0.1 (any free
 * port) where each accepted connection becomes one port-forward stream to the pod. What the kubelet reports
 * on the error channel (e.g. nothing listens on the port in the pod) is kept, for the caller's message.
 * The only runtime use of @kubernetes/client-node left (ADR 0017): loaded here, by the egctl-style commands
 * only, with its own KubeConfig read from the same source (file and context) as ours.
 */
import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { Writable } from "node:stream";
import type { KubeConfig } from "../provider/kubernetes/client";

/** A pod, by namespace and name. */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

/** An open forward. */
export interface PodForward {
  /** `127.0.0.1:<port>`: connect here to reach the pod's port. */
  readonly address: string;
  /** What went wrong with the last stream (the kubelet's error channel, or the upgrade's failure), if anything. */
  lastError(): string | undefined;
  /** Stops listening and ends every open stream. */
  close(): Promise<void>;
}

/** A Writable that keeps what is written as text. */
function textSink(onText: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      onText(chunk.toString());
      done();
    },
  });
}

/** Forwards a local port to `port` of `pod`. */
export async function forwardPodPort(kc: KubeConfig, pod: PodRef, port: number): Promise<PodForward> {
  const { KubeConfig: ClientNodeKubeConfig, PortForward } = await import("@kubernetes/client-node");
  const clientNodeKc = new ClientNodeKubeConfig();
  if (kc.source.path) clientNodeKc.loadFromFile(kc.source.path);
  else clientNodeKc.loadFromDefault();
  if (kc.source.context) clientNodeKc.setCurrentContext(kc.source.context);
  const forwarder = new PortForward(clientNodeKc, true);
  const sockets = new Set<Socket>();
  let error: string | undefined;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let streamError = "";
    const errors = textSink((text) => (streamError += text));
    forwarder.portForward(pod.namespace, pod.name, [port], socket, errors, socket).then(
      (ws) => {
        if (typeof ws === "function") return;
        ws.on("close", () => {
          if (streamError) error = streamError;
          socket.end();
        });
      },
      (err: unknown) => {
        error = `port-forward to pod ${pod.namespace}/${pod.name} port ${port}: ${err instanceof Error ? err.message : String(err)}`;
        socket.destroy();
      },
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port: local } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${local}`,
    lastError: () => error,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
