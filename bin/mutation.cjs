#!/usr/bin/env node
/**
 * `npm run mutation [-- <stryker options>]`: Stryker over the code that judges (stryker.config.mjs,
 * docs/mutation-testing.md). StrykerJS 10 needs Node.js 22 or later while the project itself runs
 * on 20, so under an older node this runs Stryker with node@22 fetched from the npm registry by npx
 * (the same registry `npm ci` uses; cached after the first run). Set LGTM_MUTATION_NODE=<path to a
 * node 22+ binary> to use one you have instead.
 *
 * Plain JavaScript: it must start under any node the project supports.
 */
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const STRYKER = path.join(ROOT, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
/** StrykerJS 10's minimum (its package.json "engines"). */
const MIN_MAJOR = 22;

const args = [STRYKER, "run", ...process.argv.slice(2)];
const major = Number(process.versions.node.split(".")[0]);
let r;
if (process.env.LGTM_MUTATION_NODE) {
  r = spawnSync(process.env.LGTM_MUTATION_NODE, args, { cwd: ROOT, stdio: "inherit" });
} else if (major >= MIN_MAJOR) {
  r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
} else {
  console.error(`mutation: StrykerJS 10 needs Node.js ${MIN_MAJOR}+, this is ${process.version}; running it under node@${MIN_MAJOR} from the npm registry (npx)`);
  r = spawnSync("npx", ["--yes", "-p", `node@${MIN_MAJOR}`, "--", "node", ...args], { cwd: ROOT, stdio: "inherit" });
}
if (r.error) {
  console.error(`mutation: could not start Stryker: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
