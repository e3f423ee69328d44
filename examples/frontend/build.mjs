// Builds the site into dist/: types from the committed OpenAPI document, a type check of the
// sources against them, then one bundle per page beside the static files. The types are made on
// every build and never committed, so a change to the API's document that breaks this frontend
// fails its build instead of going unnoticed.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const bin = (name) => join(here, "node_modules", ".bin", name);
function run(cmd, args) {
  try {
    execFileSync(cmd, args, { cwd: here, stdio: "inherit" });
  } catch {
    // The tool has printed why; a stack trace of this script would only bury it.
    process.exit(1);
  }
}

run(bin("openapi-typescript"), ["../../docs/openapi.json", "-o", "src/generated/openapi.d.ts"]);
run(bin("tsc"), ["--noEmit", "-p", "."]);

const out = join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
cpSync(join(here, "public"), out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, "src/list.ts"), join(here, "src/item.ts")],
  outdir: out,
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  logLevel: "info",
});
