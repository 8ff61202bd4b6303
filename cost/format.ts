/** The cost estimate as a terminal table, Markdown or JSON (npm run cost --format). */
import { round, type CostEstimate, type CostLine } from "./index";

/** USD with 2 decimals and thousands separators: "1,234.56". */
export function usd(x: number): string {
  return x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

function price(x: number): string {
  return String(round(x, 6));
}

/** One row per item (service or piece), then per layer, then the total; lines marked * are estimates. */
function summaryRows(e: CostEstimate): string[][] {
  const rows: string[][] = [];
  for (const [item, monthly] of Object.entries(e.byItem)) {
    const lines = e.lines.filter((l) => l.item === item);
    const est = lines.some((l) => l.estimate) ? " *" : "";
    rows.push([lines[0].layer, item, usd(monthly) + est]);
  }
  return rows;
}

function lineRow(l: CostLine): string[] {
  return [l.layer, l.item, l.what, String(round(l.quantity, 3)), l.unit, price(l.unitPrice), usd(l.monthly) + (l.estimate ? " *" : "")];
}

/** The estimate marker a figure may end with: it stands beside the right-aligned column, not inside it. */
const MARK = " *";

function pad(rows: string[][], rightAligned: readonly number[]): string {
  const text = (c: string, i: number) => (rightAligned.includes(i) && c.endsWith(MARK) ? c.slice(0, -MARK.length) : c);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => text(r[i], i).length)));
  const marked = rows[0].map((_, i) => rightAligned.includes(i) && rows.some((r) => r[i].endsWith(MARK)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (rightAligned.includes(i) ? text(c, i).padStart(widths[i]) + (marked[i] ? (c.endsWith(MARK) ? MARK : " ".repeat(MARK.length)) : "") : c.padEnd(widths[i])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function formatTable(e: CostEstimate): string {
  const head = `Monthly cost estimate: ${e.env} (${e.region}), USD, prices as of ${e.pricesAsOf}, ${e.hoursPerMonth} h/month`;
  const items = pad([["LAYER", "ITEM", "USD/MONTH"], ...summaryRows(e), ["", "TOTAL", usd(e.total)]], [2]);
  const layers = pad([["LAYER", "USD/MONTH"], ...Object.entries(e.byLayer).sort().map(([l, v]) => [l, usd(v)])], [1]);
  const lines = pad([["LAYER", "ITEM", "WHAT", "QUANTITY", "UNIT", "USD/UNIT", "USD/MONTH"], ...e.lines.map(lineRow)], [3, 5, 6]);
  return [head, "", items, "", layers, "", lines, "", "* estimate (price or quantity); assumptions:", ...e.assumptions.map((a) => `  - ${a}`)].join("\n");
}

function mdTable(header: string[], rows: string[][], right: readonly number[]): string {
  const sep = header.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [header, sep, ...rows].map((r) => `| ${r.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`).join("\n");
}

export function formatMarkdown(e: CostEstimate): string {
  return [
    `## Monthly cost estimate: ${e.env} (${e.region})`,
    "",
    `USD, prices as of ${e.pricesAsOf}, ${e.hoursPerMonth} hours a month. **Total: ${usd(e.total)} USD/month.** Figures marked * are estimates.`,
    "",
    mdTable(["Layer", "Item", "USD/month"], [...summaryRows(e), ["", "**Total**", `**${usd(e.total)}**`]], [2]),
    "",
    mdTable(["Layer", "USD/month"], Object.entries(e.byLayer).sort().map(([l, v]) => [l, usd(v)]), [1]),
    "",
    "<details><summary>Every line</summary>",
    "",
    mdTable(["Layer", "Item", "What", "Quantity", "Unit", "USD/unit", "USD/month"], e.lines.map(lineRow), [3, 5, 6]),
    "",
    "</details>",
    "",
    "Assumptions:",
    "",
    ...e.assumptions.map((a) => `- ${a}`),
  ].join("\n");
}

export function formatJson(e: CostEstimate): string {
  return JSON.stringify(e, null, 2);
}

/** The monthly difference per layer and in total between two estimates (the plan review's cost delta). */
export function costDelta(before: CostEstimate, after: CostEstimate): { layer: string; before: number; after: number; delta: number }[] {
  const layers = [...new Set([...Object.keys(before.byLayer), ...Object.keys(after.byLayer)])].sort();
  const rows = layers.map((layer) => {
    const b = before.byLayer[layer] ?? 0;
    const a = after.byLayer[layer] ?? 0;
    return { layer, before: b, after: a, delta: a - b };
  });
  rows.push({ layer: "total", before: before.total, after: after.total, delta: after.total - before.total });
  return rows;
}
