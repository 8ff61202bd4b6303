/**
 * The launcher's bundle (bin/build.cjs): `npm run <command>` rebuilds .build/lgtm.cjs only when one
 * of the files the last build read changed. A listed input that is not a file would make every run
 * rebuild (seconds instead of a quarter of a second for --help).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/cli";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BUNDLE, isStale } = require("../bin/build.cjs") as { BUNDLE: string; isStale(): boolean };

describe("GIVEN the bundle the global setup built", () => {
  it("WHEN the launcher asks whether to rebuild THEN it says no: every input of the last build is a file of the project", () => {
    const inputs = JSON.parse(fs.readFileSync(path.join(path.dirname(BUNDLE), "inputs.json"), "utf8")) as string[];
    expect(inputs).toContain("main.ts");
    expect(inputs).toContain("commands/synth.ts");
    expect(inputs.filter((f) => !fs.statSync(path.join(ROOT, f), { throwIfNoEntry: false })?.isFile())).toEqual([]);
    expect(isStale()).toBe(false);
  });
});
