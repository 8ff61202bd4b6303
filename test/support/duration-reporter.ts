/**
 * Prints how long each test file (tier) took, slowest first, after the run: where the suite's time
 * goes, and what the timeouts in vitest.config.mts are measured against.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class DurationReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => {
        const d = m.diagnostic();
        let slowest = 0;
        let tests = 0;
        for (const t of m.children.allTests()) {
          const ms = t.diagnostic()?.duration ?? 0;
          slowest = Math.max(slowest, ms);
          tests += ms;
        }
        // What is not in a test is the file's import and its beforeAll/afterAll hooks.
        return { file: m.moduleId.replace(/^.*\/test\//, "test/"), total: d.duration, hooks: Math.max(0, d.duration - tests), slowest };
      })
      .sort((a, b) => b.total - a.total);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log("\nduration per tier (file: total, outside tests = imports + hooks, slowest test):");
    for (const r of rows) console.log(`  ${r.file.padEnd(36)} ${s(r.total).padStart(8)} ${s(r.hooks).padStart(8)} ${s(r.slowest).padStart(8)}`);
  }
}
