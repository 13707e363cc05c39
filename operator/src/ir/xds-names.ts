/**
 * Parts of Envoy Gateway's xDS resource names shared by translation and xDS building (ADR 0006).
 */

/**
 * The name part for a hostname in virtual host and route names: dots become underscores (`www.example.com` →
 * `www_example_com`), as Envoy Gateway writes them.
 */
export function hostNamePart(host: string): string {
  return host.replaceAll(".", "_");
}

/** A virtual host's name: `<listener>/<host part>`, after the Gateway listener that owns the hostname. */
export function virtualHostName(listener: string, host: string): string {
  return `${listener}/${hostNamePart(host)}`;
}

/**
 * The xDS name of the listener that owns a virtual host (see {@link virtualHostName}): on an HTTPS port, the
 * name of the filter chain and RouteConfiguration that serve it.
 */
export function virtualHostListener(virtualHost: string): string {
  return virtualHost.slice(0, virtualHost.lastIndexOf("/"));
}
