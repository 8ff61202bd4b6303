/**
 * The launcher's bundle (bin/build.cjs): `npm run <command>` rebuilds .build/lgtm.cjs only when one
 * of the files the last build read changed, and the bundle writes exactly what the sources write
 * (LGTM_NO_BUNDLE=1: tsx, every template compiled at run time, cdktf's token stack traces on).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PrecompiledTemplates } from "../templates/precompiled";
import { listTemplates, precompiledSpec, TEMPLATES_DIR } from "../templates/render";
import { spawnSync } from "node:child_process";
import { ROOT, runCli } from "./support/cli";
import { filesUnder } from "./support/stack-diff";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BUNDLE, isStale, precompiledTemplatesModule } = require("../bin/build.cjs") as {
  BUNDLE: string;
  isStale(): boolean;
  precompiledTemplatesModule(): { contents: string; files: string[] };
};
const inputs = () => JSON.parse(fs.readFileSync(path.join(path.dirname(BUNDLE), "inputs.json"), "utf8")) as string[];

describe("GIVEN the bundle the global setup built", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-launcher-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("WHEN the launcher asks whether to rebuild THEN it says no: every input of the last build is a file of the project", () => {
    expect(inputs()).toContain("main.ts");
    expect(inputs()).toContain("commands/synth.ts");
    expect(inputs().filter((f) => !fs.statSync(path.join(ROOT, f), { throwIfNoEntry: false })?.isFile())).toEqual([]);
    expect(isStale()).toBe(false);
  });

  it("WHEN it is read THEN it has no import(): the launcher runs it through vm.Script, where import() fails (hcl2json is require()d)", () => {
    const text = fs.readFileSync(BUNDLE, "utf8");
    expect(text).toContain('require("@cdktf/hcl2json")');
    expect(text.match(/\bimport\(/g) ?? []).toEqual([]);
  });

  it("WHEN templates are precompiled into it THEN every template and partial is used as built (same text, same options), and each is an input", () => {
    const { contents, files } = precompiledTemplatesModule();
    const module = { exports: {} as { default?: PrecompiledTemplates } };
    new Function("exports", "module", contents)(module.exports, module);
    const precompiled = module.exports.default!;
    const all = filesUnder(TEMPLATES_DIR).filter((f) => f.endsWith(".hbs")).map((f) => path.join(TEMPLATES_DIR, f));
    expect(all.length).toBeGreaterThan(listTemplates().length);
    expect(all.filter((f) => !precompiledSpec(precompiled, f, fs.readFileSync(f, "utf8")))).toEqual([]);
    expect(inputs()).toEqual(expect.arrayContaining(files));
    // An edited template compiles at run time instead.
    expect(precompiledSpec(precompiled, all[0], `${fs.readFileSync(all[0], "utf8")} `)).toBeUndefined();
    // What they render is what the run-time compile renders: the tsx synth below compiles every one.
  });

  it("WHEN the sources synthesize through tsx THEN they write the bundle's output byte for byte", () => {
    const shared = process.env.LGTM_TEST_SHARED_SYNTH;
    expect(shared, "the global setup's synth (test/support/global-setup.ts)").toBeDefined();
    const out = path.join(work, "tsx");
    const r = runCli(["synth", "--out", out], { env: { LGTM_NO_BUNDLE: "1" } });
    expect(r.status, r.stderr).toBe(0);
    const files = filesUnder(shared!);
    expect(filesUnder(out)).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(shared!, f))), f).toBe(true);
  });
});

describe("GIVEN the V8 code cache the launcher keeps beside a bundle (bin/code-cache.cjs)", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-code-cache-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  // A module of many functions, large enough that a run calling them all caches more than half its size.
  const file = path.join(work, "app.cjs");
  const statements = (i: number) => Array.from({ length: 40 }, (_, k) => `s = (s * ${k + 3} + x.length + ${i}) % 1000003; if (s === ${k}) out.push({ k: ${k}, s });`).join(" ");
  const body = Array.from({ length: 100 }, (_, i) => `function f${i}(x) { let s = 0; const out = []; ${statements(i)} return [s, out]; }`);
  fs.writeFileSync(file, `${body.join("\n")}\nif (process.env.CALL_ALL === "1") for (let i = 0; i < 100; i++) eval("f" + i)("abc");\n`);
  const run = (callAll: boolean, flags: string[] = []) => {
    const r = spawnSync(process.execPath, [...flags, "-e", `require(${JSON.stringify(path.join(ROOT, "bin", "code-cache.cjs"))}).requireWithCodeCache(${JSON.stringify(file)})`], {
      env: { ...process.env, CALL_ALL: callAll ? "1" : "0" },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    return fs.readdirSync(work).filter((f) => f.endsWith(".v8cache")).sort().map((f) => ({ f, size: fs.statSync(path.join(work, f)).size }));
  };

  it("WHEN a short run wrote it THEN a longer run replaces it, a short one after does not, and other node flags get their own", () => {
    const [short] = run(false);
    expect(short.size).toBeLessThan(fs.statSync(file).size / 2);
    const [long] = run(true);
    expect(long.f).toBe(short.f);
    expect(long.size).toBeGreaterThan(short.size);
    expect(run(false)).toEqual([long]);
    const withFlag = run(false, ["--max-semi-space-size=2"]);
    expect(withFlag).toHaveLength(2);
    expect(withFlag).toContainEqual(long);
  });
});
