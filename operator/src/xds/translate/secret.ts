/**
 * Served secret IR → Envoy SDS Secret: a TLS certificate and its private key, or a generic secret (an opaque
 * value a filter reads by name, e.g. the OAuth2 client and HMAC secrets).
 */
import { Secret } from "../../../../proto/gen/envoy/extensions/transport_sockets/tls/v3/secret";
import { isGenericSecret, type GenericSecretIr, type SecretIr } from "../../ir/xds-ir";

/** Builds the Secret the TLS contexts and filters refer to by name. */
export function buildSecret(ir: SecretIr | GenericSecretIr): Secret {
  if (isGenericSecret(ir))
    return Secret.fromPartial({
      name: ir.name,
      genericSecret: { secret: { inlineBytes: Buffer.from(ir.value, "base64") } },
    });
  return Secret.fromPartial({
    name: ir.name,
    tlsCertificate: {
      certificateChain: { inlineString: ir.certificateChain },
      privateKey: { inlineString: ir.privateKey },
    },
  });
}
