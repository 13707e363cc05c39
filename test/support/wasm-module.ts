/**
 * A real proxy-wasm module for the Wasm tests, built by the test from AssemblyScript source with the proxy-wasm
 * AssemblyScript SDK (`assemblyscript` 0.14.13 + `@solo-io/proxy-runtime` 0.1.8, devDependencies: newer
 * AssemblyScript cannot compile that SDK). The module adds the response header `x-wasm` whose value is its plugin
 * configuration (the policy's `config`, a JSON string, without its quotes).
 *
 * Built once per run into `$EGTS_CACHE/wasm-test/<digest of the source and compiler>/plugin.wasm` (about 2 s), reused
 * across runs while neither changes.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { loadEnv } from "../../operator/src/config/env";

/** The module's source: `x-wasm: <configuration>` on every response. */
const SOURCE = `export * from "../node_modules/@solo-io/proxy-runtime/assembly/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
} from "../node_modules/@solo-io/proxy-runtime/assembly/index";

class ConfigHeaderRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new ConfigHeader(context_id, this);
  }
}

class ConfigHeader extends Context {
  root: ConfigHeaderRoot;
  constructor(context_id: u32, root_context: ConfigHeaderRoot) {
    super(context_id, root_context);
    this.root = root_context;
  }
  onResponseHeaders(a: u32, end_of_stream: bool): FilterHeadersStatusValues {
    let value = this.root.getConfiguration();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.substring(1, value.length - 1);
    stream_context.headers.response.add("x-wasm", value);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new ConfigHeaderRoot(context_id); }, "config_header");
`;

/** The module's root id. */
export const TEST_WASM_ROOT_ID = "config_header";

/** A built module. */
export interface TestWasmModule {
  /** The module bytes. */
  readonly bytes: Buffer;
  /** Hex SHA-256 of the bytes. */
  readonly sha256: string;
}

let built: Promise<TestWasmModule> | undefined;

/** The test module, compiled on first use in this run (or found in the cache). */
export function testWasmModule(): Promise<TestWasmModule> {
  built ??= build();
  return built;
}

async function build(): Promise<TestWasmModule> {
  const root = resolve(__dirname, "../../..");
  const modules = join(root, "node_modules");
  const asc = join(modules, "assemblyscript", "bin", "asc");
  if (!existsSync(asc) || !existsSync(join(modules, "@solo-io", "proxy-runtime"))) {
    throw new Error("assemblyscript and @solo-io/proxy-runtime are missing from node_modules: run `npm ci`");
  }
  const version = JSON.parse(await readFile(join(modules, "assemblyscript", "package.json"), "utf8")) as {
    version: string;
  };
  const digest = createHash("sha256").update(`${version.version}\0${SOURCE}`).digest("hex").slice(0, 16);
  const dir = join(loadEnv().cacheDir, "wasm-test", digest);
  const out = join(dir, "plugin.wasm");
  if (!existsSync(out)) {
    const work = `${dir}.${process.pid}.tmp`;
    await rm(work, { recursive: true, force: true });
    await mkdir(join(work, "assembly"), { recursive: true });
    await symlink(modules, join(work, "node_modules"));
    await writeFile(join(work, "assembly", "index.ts"), SOURCE);
    await promisify(execFile)(
      process.execPath,
      [asc, "assembly/index.ts", "-b", "plugin.wasm", "--use", "abort=abort_proc_exit", "--optimize"],
      { cwd: work },
    );
    await mkdir(dir, { recursive: true });
    await rename(join(work, "plugin.wasm"), out);
    await rm(work, { recursive: true, force: true });
  }
  const bytes = await readFile(out);
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}
