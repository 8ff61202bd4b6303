/**
 * The project's documentation as the docs tests read it: README.md and every docs/*.md, their
 * headings as GitHub renders anchors, their relative links, and their fenced shell commands.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { githubAnchor } from "./runbook";

export const ROOT = path.join(__dirname, "..", "..");
export const DOCS_DIR = path.join(ROOT, "docs");

export interface DocFile {
  /** Relative to the project root, `/`-separated: `README.md`, `docs/security.md`. */
  readonly file: string;
  readonly text: string;
}

/** README.md and every Markdown file of docs/, sorted. */
export function docFiles(): DocFile[] {
  const names = fs
    .readdirSync(DOCS_DIR)
    .filter((n) => n.endsWith(".md"))
    .sort()
    .map((n) => `docs/${n}`);
  return ["README.md", ...names].map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), "utf8") }));
}

/** The text outside fenced code blocks (a `# comment` in a shell block is no heading). */
export function prose(text: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^(`{3,})/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1];
      else if (line.trim() === fence) fence = undefined;
      out.push("");
      continue;
    }
    out.push(fence === undefined ? line : "");
  }
  return out.join("\n");
}

/** Every heading anchor of a Markdown text (GitHub adds -1, -2 to repeated headings). */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of prose(text).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = githubAnchor(m[1].replace(/`/g, ""));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

export interface DocLink {
  readonly file: string;
  readonly line: number;
  /** The target as written: `security.md#the-gateway`, `#layout`. */
  readonly target: string;
}

/** Every relative Markdown link (`[text](target)`, not http(s), not mailto) outside code blocks and code spans. */
export function relativeLinks(doc: DocFile): DocLink[] {
  const links: DocLink[] = [];
  prose(doc.text)
    .split("\n")
    .forEach((line, i) => {
      for (const m of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(m[1])) continue;
        links.push({ file: doc.file, line: i + 1, target: m[1] });
      }
    });
  return links;
}
