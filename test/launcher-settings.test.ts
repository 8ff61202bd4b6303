/**
 * The path users run: every bad settings file of the suite (test/support/bad-settings.ts) through the
 * shipped launcher, `node bin/lgtm.cjs synth --environments <dir> --out <dir>` in a fresh process as
 * `npm run synth` runs it (the esbuild bundle, its V8 code cache, hcl2json's wasm loaded from the
 * bundle), held to the message the sources give in-process (issue 25: the bundle answered every
 * file it left to hcl2json with "A dynamic import callback was not specified"). Processes run side
 * by side, as many as the machine has cores; the tier prints how long it took.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_BAD_SETTINGS, WINDOWS_PROD, type BadSettingsCase } from "./support/bad-settings";
import { LAUNCHER, spawnAsync, type Exit } from "./support/cli";
import { loadError, tempEnvironments } from "./support/settings";
import { filesUnder } from "./support/stack-diff";

/** `node bin/lgtm.cjs synth --environments environments --out out` in a folder holding `files`. */
async function launch(files: Record<string, string>): Promise<Exit & { root: string; cleanup: () => void }> {
  const t = tempEnvironments(files);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LGTM_ENV;
  delete env.LGTM_NO_BUNDLE;
  const r = await spawnAsync(process.execPath, [LAUNCHER, "synth", "--environments", "environments", "--out", "out"], { cwd: t.root, env });
  return { ...r, root: t.root, cleanup: t.cleanup };
}

/** Runs `work` over `items`, at most `limit` at a time, results in order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe("GIVEN every bad settings file of the suite, run through the shipped launcher", () => {
  const results = new Map<BadSettingsCase, { launched: Exit; inProcess: string }>();

  beforeAll(async () => {
    const started = Date.now();
    await pool(ALL_BAD_SETTINGS, Math.max(1, os.availableParallelism()), async (c) => {
      const files = await c.files();
      const r = await launch(files);
      r.cleanup();
      results.set(c, { launched: r, inProcess: await loadError(files) });
    });
    console.log(`launcher tier: ${ALL_BAD_SETTINGS.length} bad settings files through node bin/lgtm.cjs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("WHEN the table is read THEN it holds the issue's classes of bad input", () => {
    const names = ALL_BAD_SETTINGS.map((c) => c.what);
    for (const what of ["an unclosed brace", "an unterminated string", "a negative task count (desired_count = -1)", "a float too large to represent (1e400)", "a bare expression", "a function call", "an interpolation", "binary garbage", "a top-level key with non-ASCII letters"]) {
      expect(names).toContain(what);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(ALL_BAD_SETTINGS.map((c) => [c.what, c] as const))("WHEN it has %s THEN the launcher exits 1 printing exactly the in-process message", (_what, c) => {
    const { launched, inProcess } = results.get(c)!;
    expect(inProcess).toMatch(/^invalid settings \(\d+ problems?\):\n {2}/);
    expect(launched.stderr).toBe(`${inProcess}\n`);
    expect(launched.stdout).toBe("");
    expect(launched.status).toBe(1);
    expect(launched.stderr).not.toContain("dynamic import");
  });
});

describe("GIVEN a valid prod.tfvars saved by a Windows editor (UTF-8 BOM, CRLF line endings)", () => {
  let run: Awaited<ReturnType<typeof launch>>;
  beforeAll(async () => {
    run = await launch(WINDOWS_PROD());
  });
  afterAll(() => run?.cleanup());

  it("WHEN the launcher synthesizes it THEN it writes exactly the shipped prod's stacks and configs", () => {
    expect(run.status, run.stderr).toBe(0);
    const shared = process.env.LGTM_TEST_SHARED_SYNTH;
    expect(shared, "the global setup's synth (test/support/global-setup.ts)").toBeDefined();
    const out = path.join(run.root, "out");
    const mine = filesUnder(out).filter((f) => /(^|\/)prod[-/]/.test(f));
    expect(mine.length).toBeGreaterThan(7);
    expect(mine).toEqual(filesUnder(shared!).filter((f) => /(^|\/)prod[-/]/.test(f)));
    for (const f of mine) expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(shared!, f))), f).toBe(true);
  });
});
