/**
 * The plan review's monthly cost: the estimate of `npm run cost` for the settings being planned
 * ("after") and, with `--cost-base <dir>`, for the settings the environment is deployed from
 * ("before", e.g. the base branch's environments/ folder), per layer and in total. Only the settings
 * are priced, never the plan's values: the numbers are the same ones `npm run cost` prints.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { estimateCost, loadPrices, type CostEstimate } from "../cost";
import { costDelta, usd } from "../cost/format";
import { loadSettings } from "../settings";
import { UserError } from "./cli";

export interface CostRow {
  readonly layer: string;
  /** USD/month before the change; absent without a base. */
  readonly before?: number;
  readonly after: number;
  readonly delta?: number;
}

export interface CostReview {
  /** Where the "before" figures come from, or why there are none. */
  readonly base: string;
  readonly prices_as_of: string;
  /** Per layer, then a "total" row. */
  readonly rows: CostRow[];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

async function estimate(env: string, environmentsDir?: string): Promise<CostEstimate> {
  // Warnings (undersized explicit settings) are synth's to print, not the review's.
  const settings = await loadSettings(env, { environmentsDir, onWarning: () => undefined });
  return estimateCost(settings, loadPrices(settings.aws.region, settings.cost.prices));
}

/**
 * The cost section of a review. A base folder without this environment prices "before" as nothing
 * (a new environment); a base whose settings do not load is an error naming the folder.
 */
export async function reviewCost(env: string, baseDir?: string, environmentsDir?: string): Promise<CostReview> {
  const after = await estimate(env, environmentsDir);
  if (baseDir === undefined) {
    const rows = [...Object.entries(after.byLayer).sort(), ["total", after.total] as const].map(([layer, v]) => ({ layer, after: round2(v) }));
    return { base: "none (pass --cost-base <environments dir> for the before figures)", prices_as_of: after.pricesAsOf, rows };
  }
  const shown = path.relative(process.cwd(), path.resolve(baseDir)) || baseDir;
  let before: CostEstimate;
  if (!fs.existsSync(path.join(baseDir, `${env}.tfvars`))) {
    // The environment is new: nothing is deployed yet.
    before = { ...after, lines: [], byItem: {}, byLayer: {}, total: 0 };
  } else {
    try {
      before = await estimate(env, path.resolve(baseDir));
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`--cost-base ${shown}: the base settings do not load, so the cost before the change is unknown:\n${e.message}`);
      throw e;
    }
  }
  const rows = costDelta(before, after).map((r) => ({ layer: r.layer, before: round2(r.before), after: round2(r.after), delta: round2(r.delta) }));
  const base = before.total === 0 && before.lines.length === 0 ? `${shown} (no ${env}.tfvars there: a new environment)` : shown;
  return { base, prices_as_of: after.pricesAsOf, rows };
}

const signed = (x: number) => `${x > 0 ? "+" : x < 0 ? "−" : "±"}${usd(Math.abs(x))}`;

/** The cost table as Markdown lines. */
export function costMarkdown(c: CostReview): string[] {
  const hasBase = c.rows.some((r) => r.before !== undefined);
  const label = (l: string) => (l === "total" ? "**Total**" : l);
  const lines = [
    `### Monthly cost estimate (USD, prices as of ${c.prices_as_of}; \`npm run cost\` for every line)`,
    "",
    hasBase ? "| Layer | Before | After | Change |" : "| Layer | After |",
    hasBase ? "|---|---:|---:|---:|" : "|---|---:|",
    ...c.rows.map((r) => (hasBase ? `| ${label(r.layer)} | ${usd(r.before ?? 0)} | ${usd(r.after)} | ${signed(r.delta ?? 0)} |` : `| ${label(r.layer)} | ${usd(r.after)} |`)),
  ];
  lines.push("", `Before: ${c.base}.`);
  return lines;
}

/** The cost table for a terminal. */
export function costText(c: CostReview): string[] {
  const total = c.rows.find((r) => r.layer === "total");
  const head = total?.before !== undefined ? `Monthly cost estimate: ${usd(total.before)} → ${usd(total.after)} USD (${signed(total.delta ?? 0)})` : `Monthly cost estimate after apply: ${usd(total?.after ?? 0)} USD`;
  return [
    `${head}; prices as of ${c.prices_as_of}; before: ${c.base}`,
    ...c.rows
      .filter((r) => r.layer !== "total")
      .map((r) => `   ${r.layer.padEnd(16)} ${r.before !== undefined ? `${usd(r.before).padStart(10)} → ` : ""}${usd(r.after).padStart(10)}${r.delta !== undefined && r.delta !== 0 ? `  (${signed(r.delta)})` : ""}`),
  ];
}
