// ESLint (flat config) for the front end: eslint's and typescript-eslint's recommended rules over src/
// and tests/. Run by .ci/run (`npx eslint`) next to `tsc --noEmit` (strict mode, see tsconfig.json).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "scripts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // the build script runs in Node
  { files: ["*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
  {
    files: ["src/**/*.ts", "tests/**/*.ts"],
    rules: {
      // `_`-prefixed arguments document a position the callback must accept
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
