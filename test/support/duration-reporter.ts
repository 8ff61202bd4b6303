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
        for (const t of m.children.allTests()) slowest = Math.max(slowest, t.diagnostic()?.duration ?? 0);
        return { file: m.moduleId.replace(/^.*\/test\//, "test/"), total: d.duration, setup: d.setupDuration, slowest };
      })
      .sort((a, b) => b.total - a.total);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log("\nduration per tier (file: total, setup + collect, slowest test):");
    for (const r of rows) console.log(`  ${r.file.padEnd(36)} ${s(r.total).padStart(8)} ${s(r.setup).padStart(8)} ${s(r.slowest).padStart(8)}`);
  }
}
