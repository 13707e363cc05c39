/**
 * Run inside a pod's network namespace by the simulated kubelet's port-forward (kubelet-port-forward.ts), as
 * the container runtime does for a CRI PortForward: connects to `127.0.0.1:<port>` (argv[2]) and copies stdin
 * to the connection and the connection to stdout (exit 0 once that is flushed). A failed connection prints the
 * error on stderr, exit 1.
 */
import { connect } from "node:net";

const port = Number(process.argv[2]);
const socket = connect({ host: "127.0.0.1", port });
socket.on("connect", () => {
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.on("error", (err) => {
  process.stderr.write(err.message);
  process.exit(1);
});
// Exit once stdout has flushed: the kubelet may be holding back its reads (backpressure), and process.exit
// with writes still queued would drop the connection's last bytes.
socket.on("close", () => process.stdout.end(() => process.exit(0)));
