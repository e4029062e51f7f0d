// Bundles every explorer and the shared stylesheet into ../nbviz/static/: an explorer is a folder
// src/<name>/ with an index.ts (or a single src/<name>.ts) and becomes static/<name>.js, the file name
// its Python widget loads (nbviz/_static.py); src/lib/ is the shared library, not an entry.
import * as esbuild from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";

const entries = readdirSync("src", { withFileTypes: true }).flatMap((f) => {
  if (f.isDirectory()) return f.name !== "lib" && existsSync(`src/${f.name}/index.ts`) ? [{ in: `src/${f.name}/index.ts`, out: f.name }] : [];
  if (f.name.endsWith(".ts")) return [{ in: `src/${f.name}`, out: f.name.slice(0, -3) }];
  return f.name === "style.css" ? [{ in: "src/style.css", out: "style" }] : [];
});
const twice = entries.map((e) => e.out).filter((out, i, all) => all.indexOf(out) !== i);
if (twice.length) throw new Error(`both src/${twice[0]}.ts and src/${twice[0]}/index.ts exist: keep one (the folder)`);
const options = {
  entryPoints: entries,
  bundle: true,
  format: "esm",
  target: "es2020",
  outdir: "../nbviz/static",
  minify: !process.argv.includes("--watch"),
  sourcemap: process.argv.includes("--watch") ? "inline" : false,
  define: { "define.amd": "false" },
  logLevel: "info",
};
// Scripts a handout page inlines so it renders offline (nbviz/handout/assets.py): require.js (MIT) and the
// widget manager for static pages, @jupyter-widgets/html-manager's embed-amd.js (BSD-3-Clause).
const vendor = {
  "node_modules/requirejs/require.js": "require.js",
  "node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js": "embed-amd.js",
  "node_modules/@jupyter-widgets/html-manager/dist/embed.js.LICENSE.txt": "embed-amd.LICENSE.txt",
};
mkdirSync("../nbviz/static/vendor", { recursive: true });
for (const [from, to] of Object.entries(vendor)) copyFileSync(from, `../nbviz/static/vendor/${to}`);

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
