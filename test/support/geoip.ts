/**
 * GeoIP test databases: small MaxMind DB (.mmdb) files written by egts-mmdb (test/tools/mmdb-writer, built by
 * `bash scripts/install-mmdb-writer.sh`; a missing binary fails the test with that step), in the layouts Envoy's
 * MaxMind provider reads (MaxMind's GeoIP2 City, GeoLite2 ASN and GeoIP2 Anonymous IP record fields).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadEnv } from "../../operator/src/config/env";

/** The tool's folder version; pinned in scripts/install-mmdb-writer.sh too. */
const MMDB_WRITER_VERSION = "v1.2.0-r1";

/** The egts-mmdb binary; throws naming the install step when it is missing. */
export function mmdbWriterBinary(): string {
  const bin = join(loadEnv().cacheDir, `mmdb-writer-${MMDB_WRITER_VERSION}`, "bin", "egts-mmdb");
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`bash scripts/install-mmdb-writer.sh\``);
  return bin;
}

/** One network of a database and its record (MaxMind's field names; whole numbers are written as uint32). */
export interface MmdbNetwork {
  readonly cidr: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Writes a database of type `databaseType` (e.g. `GeoIP2-City`) with `networks` to `path`. */
export function writeMmdb(path: string, databaseType: string, networks: readonly MmdbNetwork[]): void {
  execFileSync(mmdbWriterBinary(), [path], { input: JSON.stringify({ databaseType, networks }) });
}

/** A City database record: country and subdivision ISO codes, English city name. */
export function cityRecord(country: string, region: string, city: string): Record<string, unknown> {
  return {
    country: { iso_code: country },
    subdivisions: [{ iso_code: region }],
    city: { names: { en: city } },
  };
}

/** An ASN database record. */
export function asnRecord(asn: number, organization: string): Record<string, unknown> {
  return { autonomous_system_number: asn, autonomous_system_organization: organization };
}
