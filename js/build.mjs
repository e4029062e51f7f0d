// Bundles every explorer entry (src/*.ts) and the shared stylesheet into ../nbviz/static/.
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";

const entries = readdirSync("src")
  .filter((f) => f.endsWith(".ts") || f === "style.css")
  .map((f) => `src/${f}`);
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
if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
