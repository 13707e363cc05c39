/**
 * A TCP port for a process this host starts (standalone's rate limit service, the tests' listeners): chosen
 * below Linux's ephemeral range (`net.ipv4.ip_local_port_range`, 32768–60999 by default), which the kernel never
 * hands out for `bind(0)`. So no `port: 0` socket (an Envoy admin listener, a backend) can take it in the gap
 * between this probe and the owner's own bind — a gap `listen(0)` + `close()` leaves open. A CI run once lost that
 * race: a Gateway's listener port chosen by `listen(0)` was given to Envoy's admin before the listener arrived.
 */
import { createServer } from "node:net";

const PORT_LOW = 20_000;
const PORT_HIGH = 32_767;
/** Ports handed out by this process, so two calls never return the same port before either is bound. */
const handedOut = new Set<number>();

/** Whether `port` can be bound on 127.0.0.1 and 0.0.0.0 right now (nothing listens on it). */
export function canBind(port: number): Promise<boolean> {
  const probe = (host: string): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
  return probe("127.0.0.1").then((ok) => (ok ? probe("0.0.0.0") : false));
}

/**
 * A TCP port outside the kernel's ephemeral range that was free a moment ago and that no earlier call returned.
 * @throws Error when 500 random picks found none free.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW + 1));
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port in ${PORT_LOW}-${PORT_HIGH} after 500 attempts`);
}
