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
