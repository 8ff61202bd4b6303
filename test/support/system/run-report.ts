/**
 * The end of a system-tier file: stop the workload, keep every task's log when asked
 * (LGTM_SYSTEM_LOGS=<folder>), stop the stack, and print (and write, when `reportFile` is set) the
 * file's figures: per-scenario seconds, writes, CPU seconds of the test process and of every
 * process it started and reaped (each component is the direct child the tier spawned; nginx's
 * workers are reaped by their master), and the load average.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import type { SystemStack } from "./stack";
import type { Workload } from "./workload";

export async function finishSystemRun(run: {
  readonly stack?: SystemStack;
  readonly workload?: Workload;
  readonly report: Record<string, unknown>;
  readonly timings: Record<string, number>;
  /** What the printed figures are called ("system tier", "zones scenario"). */
  readonly title: string;
  readonly reportFile?: string;
}): Promise<void> {
  const { stack, workload, report, timings } = run;
  await workload?.stop();
  if (process.env.LGTM_SYSTEM_LOGS && stack) {
    fs.mkdirSync(process.env.LGTM_SYSTEM_LOGS, { recursive: true });
    for (const t of stack.cluster.tasks) fs.writeFileSync(`${process.env.LGTM_SYSTEM_LOGS}/${t.id}.log`, t.log());
  }
  await stack?.close();
  report.timings_s = timings;
  report.total_s = +Object.values(timings).reduce((a, b) => a + b, 0).toFixed(1);
  report.writes = Object.fromEntries(workload ? workload.counts : []);
  const text = fs.readFileSync("/proc/self/stat", "utf8");
  const stat = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const sec = (i: number) => Number(stat[i]) / 100;
  report.cpu_s = { node: +(sec(11) + sec(12)).toFixed(1), tasks: +(sec(13) + sec(14)).toFixed(1) };
  report.load_average = os.loadavg().map((l) => +l.toFixed(2));
  console.log(`\n${run.title} figures:\n${JSON.stringify(report, null, 2)}\n`);
  if (run.reportFile) fs.writeFileSync(run.reportFile, JSON.stringify(report, null, 2));
}
