#!/usr/bin/env node
/**
 * `npm run mutation [-- <stryker options>]`: Stryker over the code that judges (stryker.config.mjs,
 * docs/mutation-testing.md). StrykerJS 10 needs Node.js 22 or later while the project itself runs
 * on 20, so under an older node this runs Stryker with node@22 fetched from the npm registry by npx
 * (the same registry `npm ci` uses; cached after the first run). Set LGTM_MUTATION_NODE=<path to a
 * node 22+ binary> to use one you have instead.
 *
 * Stryker is a direct child and gets this process's SIGINT/SIGTERM: stopping the run stops Stryker
 * and its workers instead of leaving them running. Plain JavaScript: it must start under any node
 * the project supports.
 */
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const STRYKER = path.join(ROOT, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
/** StrykerJS 10's minimum (its package.json "engines"). */
const MIN_MAJOR = 22;

function node22() {
  if (process.env.LGTM_MUTATION_NODE) return process.env.LGTM_MUTATION_NODE;
  if (Number(process.versions.node.split(".")[0]) >= MIN_MAJOR) return process.execPath;
  console.error(`mutation: StrykerJS 10 needs Node.js ${MIN_MAJOR}+, this is ${process.version}; using node@${MIN_MAJOR} from the npm registry (npx)`);
  const r = spawnSync("npx", ["--yes", "-p", `node@${MIN_MAJOR}`, "--", "node", "-e", "process.stdout.write(process.execPath)"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0 || !r.stdout) {
    console.error(`mutation: could not get node@${MIN_MAJOR} through npx: ${(r.stderr || (r.error && r.error.message) || "").trim()}`);
    process.exit(1);
  }
  return r.stdout.trim();
}

const child = spawn(node22(), [STRYKER, "run", ...process.argv.slice(2)], { cwd: ROOT, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("error", (e) => {
  console.error(`mutation: could not start Stryker: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
