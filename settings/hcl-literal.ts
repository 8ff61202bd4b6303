/**
 * A fast path for reading settings files: a parser for the part of HCL that settings use —
 * attributes whose values are literals (strings, numbers, true/false/null, lists and objects of
 * them), with comments — that returns exactly what @cdktf/hcl2json returns for them (object keys in
 * Go's sorted order, the last of duplicate object keys).
 *
 * Anything else (expressions, templates, heredocs, blocks, a syntax error) returns undefined and the
 * loader falls back to hcl2json, whose Go HCL parser then gives its own result or error message.
 * Starting hcl2json's wasm costs close to a CPU-second and tens of MiB; the shipped settings never
 * need it. test/hcl-literal.test.ts holds both parsers to the same output.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Thrown inside the parser for anything outside the literal subset. */
class NotLiteral extends Error {}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /\d+(\.\d+)?([eE][+-]?\d+)?/y;

export function parseLiteralHcl(source: string): Record<string, Json> | undefined {
  let i = 0;
  const fail = (): never => {
    throw new NotLiteral();
  };

  /** Skips spaces, tabs, CRs and comments; also newlines when `newlines`. Returns whether a newline was skipped. */
  const skip = (newlines: boolean): boolean => {
    let sawNewline = false;
    for (;;) {
      const c = source[i];
      if (c === " " || c === "\t" || c === "\r") i++;
      else if (c === "\n" && newlines) {
        sawNewline = true;
        i++;
      } else if (c === "#" || (c === "/" && source[i + 1] === "/")) {
        while (i < source.length && source[i] !== "\n") i++;
      } else if (c === "/" && source[i + 1] === "*") {
        const end = source.indexOf("*/", i + 2);
        if (end < 0) fail();
        if (source.slice(i, end).includes("\n")) sawNewline = true;
        i = end + 2;
      } else return sawNewline;
    }
  };

  const ident = (): string | undefined => {
    IDENT.lastIndex = i;
    const m = IDENT.exec(source);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };

  const string = (): string => {
    i++; // opening quote
    let out = "";
    for (;;) {
      const c = source[i];
      if (c === undefined || c === "\n") fail();
      if (c === '"') {
        i++;
        return out;
      }
      if (c === "\\") {
        const e = source[i + 1];
        const simple: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u" || e === "U") {
          const len = e === "u" ? 4 : 8;
          const hex = source.slice(i + 2, i + 2 + len);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) fail();
          const code = parseInt(hex, 16);
          if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) fail();
          out += String.fromCodePoint(code);
          i += 2 + len;
        } else fail();
        continue;
      }
      // Templates ("${", "%{") and their escapes ("$${", "%%{") are hcl2json's to interpret.
      if ((c === "$" || c === "%") && (source[i + 1] === "{" || source[i + 1] === c)) fail();
      out += c;
      i++;
    }
  };

  const value = (): Json => {
    skip(false);
    const c = source[i];
    if (c === '"') return string();
    if (c === "[") return list();
    if (c === "{") return object();
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(source);
    if (num) {
      i += num[0].length;
      const n = Number(num[0]);
      if (!Number.isFinite(n)) fail();
      return n;
    }
    const word = ident();
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    return fail();
  };

  const list = (): Json[] => {
    i++;
    const out: Json[] = [];
    for (;;) {
      skip(true);
      if (source[i] === "]") {
        i++;
        return out;
      }
      out.push(value());
      skip(true);
      if (source[i] === ",") i++;
      else if (source[i] !== "]") fail();
    }
  };

  const sorted = (entries: Map<string, Json>): { [k: string]: Json } => {
    const out: { [k: string]: Json } = {};
    for (const k of [...entries.keys()].sort(byBytes)) out[k] = entries.get(k)!;
    return out;
  };

  const object = (): { [k: string]: Json } => {
    i++;
    const entries = new Map<string, Json>();
    for (;;) {
      skip(true);
      if (source[i] === "}") {
        i++;
        return sorted(entries);
      }
      const key = source[i] === '"' ? string() : ident();
      if (key === undefined) fail();
      skip(false);
      if ((source[i] !== "=" && source[i] !== ":") || source[i + 1] === "=") fail();
      i++;
      entries.set(key!, value());
      const newline = skip(true);
      if (source[i] === ",") i++;
      else if (source[i] !== "}" && !newline) fail();
    }
  };

  try {
    const top = new Map<string, Json>();
    for (;;) {
      skip(true);
      if (i >= source.length) return sorted(top);
      const key = ident();
      if (key === undefined || top.has(key)) fail();
      skip(false);
      if (source[i] !== "=" || source[i + 1] === "=") fail();
      i++;
      top.set(key!, value());
      skip(false);
      if (i < source.length && source[i] !== "\n") fail();
    }
  } catch (e) {
    if (e instanceof NotLiteral) return undefined;
    throw e;
  }
}

/** Go's sort.Strings order (bytes of UTF-8), which encoding/json uses for map keys. */
function byBytes(a: string, b: string): number {
  const [x, y] = [Buffer.from(a, "utf8"), Buffer.from(b, "utf8")];
  return Buffer.compare(x, y);
}
