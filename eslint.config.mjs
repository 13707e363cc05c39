// ESLint flat config. TypeScript sources get typescript-eslint's recommended rules plus a
// few cheap type-aware ones; plain JS scripts (*.mjs, *.js) get @eslint/js recommended only.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** Node.js globals for plain JS files (the `globals` package is not a dependency). */
const nodeGlobals = Object.fromEntries(
  [
    "process",
    "console",
    "Buffer",
    "URL",
    "URLSearchParams",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "setImmediate",
    "clearImmediate",
    "queueMicrotask",
    "structuredClone",
    "AbortController",
    "TextEncoder",
    "TextDecoder",
    "fetch",
  ].map((name) => [name, "readonly"]),
);
const commonJsGlobals = {
  require: "readonly",
  module: "writable",
  exports: "writable",
  __dirname: "readonly",
  __filename: "readonly",
};

export default defineConfig(
  {
    ignores: ["proto/gen/**", "dist/**", "node_modules/**", "bench/results/**", "**/*.d.ts"],
  },
  js.configs.recommended,
  {
    files: ["**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: nodeGlobals },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "commonjs", globals: { ...nodeGlobals, ...commonJsGlobals } },
  },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Type-aware, cheap and catch real bugs in async control-plane code.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/await-thenable": "error",
      // Exported API states its types; local helpers may infer.
      "@typescript-eslint/explicit-module-boundary-types": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      complexity: ["warn", 15],
      "max-params": ["warn", 5],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-console": "off",
    },
  },
  {
    // operator/src/config/env.ts is the one module that reads environment variables.
    files: ["operator/**/*.ts"],
    ignores: ["operator/src/config/env.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read environment variables via operator/src/config/env.ts." },
      ],
    },
  },
  {
    // Tests: mocha's `this`, chai-less assertions and test helpers need less ceremony.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/explicit-module-boundary-types": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      complexity: "off",
    },
  },
);
