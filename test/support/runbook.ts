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
