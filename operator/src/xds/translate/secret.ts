/** SecretIr → Envoy SDS Secret (a TLS certificate and its private key). */
import { Secret } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/secret";
import type { SecretIr } from "../../ir/xds-ir";

/** Builds the Secret the TLS contexts refer to by name. */
export function buildSecret(ir: SecretIr): Secret {
  return Secret.fromPartial({
    name: ir.name,
    tlsCertificate: {
      certificateChain: { inlineString: ir.certificateChain },
      privateKey: { inlineString: ir.privateKey },
    },
  });
}
