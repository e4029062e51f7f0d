// ESLint (flat config) for the front end: eslint's recommended rules and typescript-eslint's
// type-checked ones (they read tsconfig.json, so an `any` leaking from a model trait is caught) over src/
// and tests/. Run by .ci/run (`npx eslint`) next to `tsc --noEmit` (strict mode, see tsconfig.json).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "scripts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
  // the build script runs in Node
  { files: ["*.mjs"], ...tseslint.configs.disableTypeChecked },
  { files: ["*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
  {
    files: ["src/**/*.ts", "tests/**/*.ts"],
    rules: {
      // `_`-prefixed arguments document a position the callback must accept
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
);
