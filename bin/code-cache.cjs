/**
 * Runs the bundle with V8's code cache: the bytecode of every function the previous run compiled,
 * kept beside the bundle as <bundle>.<size>-<mtime>-<node and flags>.v8cache (a rebuilt bundle gets a
 * new name, so a stale cache is never used; bin/build.cjs removes old ones). About 0.2 CPU-s less per synth
 * (measured A/B, interleaved) for about 7 MiB more peak memory. Written after a run that had no
 * usable cache (or only one a short run left).
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const Module = require("node:module");
/** Runs a CommonJS file with V8's code cache beside it (<file>.v8cache), written after the first run. */
function requireWithCodeCache(file) {
  const st = fs.statSync(file);
  // V8 rejects a cache made under other flags or another node: one cache per flag set, so
  // `npm run synth` (node --max-semi-space-size=2 ...) and a plain `node bin/lgtm.cjs` do not
  // overwrite each other's on every alternation.
  const flags = crypto.createHash("sha256").update(JSON.stringify([process.version, process.arch, process.execArgv])).digest("hex").slice(0, 12);
  const cacheFile = `${file}.${st.size}-${Math.trunc(st.mtimeMs)}-${flags}.v8cache`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {}
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file, cachedData });
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  const req = Module.createRequire(file);
  // A cache written after a short run (--help) holds little of what a synth compiles: until one holds
  // at least half the bundle's size, a run that compiled more replaces it.
  const undersized = !!cachedData && !script.cachedDataRejected && cachedData.length < st.size / 2;
  if (!cachedData || script.cachedDataRejected || undersized) {
    process.once("beforeExit", () => {
      try {
        const data = script.createCachedData();
        if (undersized && data.length <= cachedData.length) return;
        const tmp = `${cacheFile}.tmp-${process.pid}`;
        fs.writeFileSync(tmp, data);
        fs.renameSync(tmp, cacheFile);
      } catch {}
    });
  }
  script.runInThisContext().call(m.exports, m.exports, req, m, file, path.dirname(file));
  return m.exports;
}
module.exports = { requireWithCodeCache };
