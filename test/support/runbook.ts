/**
 * docs/runbook.md's entries as GitHub renders their anchors, for the tests that check every alert
 * links to an entry that exists.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const RUNBOOK = path.join(__dirname, "..", "..", "docs", "runbook.md");

/** GitHub's heading anchor: lowercase, punctuation except "-" and "_" dropped, spaces to "-". */
export function githubAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every heading anchor of the runbook. */
export function runbookAnchors(file = RUNBOOK): Set<string> {
  const text = fs.readFileSync(file, "utf8");
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => githubAnchor(m[1])));
}

/** `#anchor` of every "Runbook: <url>#anchor" in a text (alarm descriptions, messages, annotations). */
export function runbookLinks(text: string, base: string): string[] {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [...text.matchAll(new RegExp(`${escaped}#([A-Za-z0-9_-]+)`, "g"))].map((m) => m[1]);
}

// ---------------------------------------------------------------- commands in docs/ and where they run

/**
 * Where a documented command runs, as the doc says it:
 * - `vpc`: a host in the VPC (or a peered network in load_balancer.internal_client_cidrs);
 * - `task:<service>`: a one-off task in that service's security group (runbook.md's `run_as`);
 * - `ingest_allowed_cidrs` / `ui_allowed_cidrs`: an address named there, through the public ALB.
 * Docs say it in prose and, for the tests, in a `<!-- run-from: <source> -->` comment right before
 * the fenced block (or by the command itself: `run_as <service> ...`).
 */
export type RunFrom =
  | { readonly kind: "vpc" }
  | { readonly kind: "task"; readonly service: string }
  | { readonly kind: "ingest_allowed_cidrs" }
  | { readonly kind: "ui_allowed_cidrs" };

export interface DocCommand {
  readonly file: string;
  readonly line: number;
  /** The whole command, continuation lines joined. */
  readonly text: string;
  /** Every http(s) URL the command requests. */
  readonly urls: readonly string[];
  /** Undefined when the doc does not say where it runs. */
  readonly from?: RunFrom;
  /** Shell variables assigned earlier in the same block (`NAME=value`). */
  readonly vars: Readonly<Record<string, string>>;
}

function parseRunFrom(spec: string): RunFrom | undefined {
  const s = spec.trim();
  if (s === "vpc" || s === "ingest_allowed_cidrs" || s === "ui_allowed_cidrs") return { kind: s };
  const m = /^task:([a-z]+)$/.exec(s);
  return m ? { kind: "task", service: m[1] } : undefined;
}

/** Commands that make HTTP requests (curl, wget, run_as ... wget) in a Markdown file: fenced blocks and inline code. */
export function docCommands(file: string, text: string): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = text.split("\n");
  let fence: string | undefined;
  let pending: RunFrom | undefined;
  let blockFrom: RunFrom | undefined;
  let vars: Record<string, string> = {};
  const push = (line: number, cmd: string, from: RunFrom | undefined) => {
    if (!/\b(curl|wget)\b/.test(cmd)) return;
    const urls = [...cmd.matchAll(/https?:\/\/[^\s"'`)\\]+/g)].map((m) => m[0]);
    if (urls.length === 0) return;
    const runAs = /\brun_as\s+([a-z]+)\b/.exec(cmd);
    out.push({ file, line, text: cmd, urls, from: runAs ? { kind: "task", service: runAs[1] } : from, vars: { ...vars } });
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    const marker = /^<!--\s*run-from:\s*([^>]*?)\s*-->$/.exec(trimmed);
    if (marker && fence === undefined) {
      pending = parseRunFrom(marker[1]);
      if (!pending) throw new Error(`${file}:${i + 1}: unknown run-from "${marker[1]}" (expected vpc, task:<service>, ingest_allowed_cidrs or ui_allowed_cidrs)`);
      continue;
    }
    const f = /^(`{3,})/.exec(trimmed);
    if (f) {
      if (fence === undefined) {
        fence = f[1];
        blockFrom = pending;
        pending = undefined;
        vars = {};
      } else if (trimmed === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) {
      if (/^\s*#/.test(raw)) continue;
      let cmd = raw;
      const start = i;
      while (cmd.trimEnd().endsWith("\\") && i + 1 < lines.length) cmd = `${cmd.trimEnd().slice(0, -1)} ${lines[++i].trim()}`;
      const assign = /^\s*([A-Z_][A-Z0-9_]*)=("([^"]*)"|'([^']*)'|(\S+))\s*$/.exec(cmd);
      if (assign) vars[assign[1]] = assign[3] ?? assign[4] ?? assign[5];
      push(start + 1, cmd.replace(/\s+#.*$/, ""), blockFrom);
    } else {
      for (const m of raw.matchAll(/`([^`]+)`/g)) push(i + 1, m[1], undefined);
      // A run-from comment belongs to the block right after it (blank lines between are fine).
      if (trimmed !== "") pending = undefined;
    }
  }
  return out;
}

/** Does `cidr` contain the address `ip` (IPv4)? */
export function cidrContains(cidr: string, ip: string): boolean {
  const toInt = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toInt(base) / size) * size;
  return toInt(ip) >= start && toInt(ip) < start + size;
}

/** An ALB path pattern (`*` any characters, `?` one) against a path, case-sensitive as ELB matches. */
export function albPathMatches(pattern: string, urlPath: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(urlPath);
}
