#!/usr/bin/env node
/**
 * lgtm-fargate's launcher: `node bin/lgtm.cjs <command> [options]`, what `npm run <command>` and the
 * cdktf CLI run. Runs the esbuild bundle of main.ts (.build/lgtm.cjs), rebuilding it first when a
 * source is newer (a fresh clone builds on its first run). Plain node, no TypeScript compiler at
 * run time: a signal reaches the command itself (tsx would SIGKILL a busy synth after 60 ms).
 * LGTM_NO_BUNDLE=1 runs main.ts through tsx instead (for debugging with source maps).
 */
"use strict";
if (process.env.LGTM_NO_BUNDLE === "1") {
  const { spawnSync } = require("node:child_process");
  const path = require("node:path");
  const r = spawnSync(path.join(__dirname, "..", "node_modules", ".bin", "tsx"), [path.join(__dirname, "..", "main.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
const { BUNDLE, isStale, build } = require("./build.cjs");
const { requireWithCodeCache } = require("./code-cache.cjs");
if (isStale()) {
  build().then(
    () => requireWithCodeCache(BUNDLE),
    (e) => {
      console.error(`could not build ${BUNDLE}: ${e.message}`);
      process.exitCode = 1;
    },
  );
} else {
  requireWithCodeCache(BUNDLE);
}
