/**
 * Reads the HCL expressions cdktf writes into a string attribute when a value holds a reference:
 * `${jsonencode({"Version" = "2012-10-17", "Statement" = [{...}]})}`. A policy document becomes the
 * same JSON value its JSON form would be, with every reference, function call or template kept as
 * the text `${...}` (as cdktf writes references inside a JSON string), so one reader serves both.
 *
 * A parser, not a pattern: objects (`=` or `:`, commas or newlines), tuples, strings with escapes
 * and `${...}` templates, numbers, true/false/null, traversals (`aws_s3_bucket.b.arn`, `x[0]`) and
 * function calls. Anything else (a `for` expression, a conditional, an operator) is not a literal
 * document: `parseJsonencode` returns undefined and the caller reports the value as unreadable.
 */

export type HclValue = null | boolean | number | string | HclValue[] | { [k: string]: HclValue };

class NotReadable extends Error {}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** The document inside `${jsonencode(<expression>)}`, or undefined when the text is anything else. */
export function parseJsonencode(text: string): HclValue | undefined {
  const m = /^\$\{\s*jsonencode\(([\s\S]*)\)\s*\}$/.exec(text);
  if (!m) return undefined;
  return parseHclExpression(m[1]);
}

/** One HCL expression of the literal subset above, or undefined. */
export function parseHclExpression(source: string): HclValue | undefined {
  let i = 0;
  const fail = (): never => {
    throw new NotReadable();
  };
  const skip = () => {
    for (;;) {
      const c = source[i];
      if (c === " " || c === "\t" || c === "\r" || c === "\n") i++;
      else if (c === "#" || (c === "/" && source[i + 1] === "/")) while (i < source.length && source[i] !== "\n") i++;
      else if (c === "/" && source[i + 1] === "*") {
        const end = source.indexOf("*/", i + 2);
        if (end < 0) fail();
        i = end + 2;
      } else return;
    }
  };

  /** A `${...}` template's raw text, from `$` to its closing brace (nested braces and strings skipped). */
  const template = (): string => {
    const start = i;
    i += 2;
    let depth = 1;
    while (depth > 0) {
      const c = source[i];
      if (c === undefined) fail();
      if (c === '"') {
        string();
        continue;
      }
      if (c === "{") depth++;
      else if (c === "}") depth--;
      i++;
    }
    return source.slice(start, i);
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
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === "u") {
          const hex = source.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else fail();
      } else if (c === "$" && source[i + 1] === "$" && source[i + 2] === "{") {
        out += "${";
        i += 3;
      } else if (c === "$" && source[i + 1] === "{") out += template();
      else {
        out += c;
        i++;
      }
    }
  };

  /** `name`, `a.b.c`, `a[0].b`, `f(args)`: returned as `${text}`. */
  const traversalOrCall = (): string => {
    const start = i;
    IDENT.lastIndex = i;
    if (!IDENT.exec(source)) fail();
    i = IDENT.lastIndex;
    if (source[i] === "(") {
      let depth = 0;
      do {
        const c = source[i];
        if (c === undefined) fail();
        if (c === '"') {
          string();
          continue;
        }
        if (c === "(") depth++;
        else if (c === ")") depth--;
        i++;
      } while (depth > 0);
    }
    for (;;) {
      if (source[i] === ".") {
        i++;
        IDENT.lastIndex = i;
        if (IDENT.exec(source)) i = IDENT.lastIndex;
        else if (source[i] === "*") i++;
        else {
          NUMBER.lastIndex = i;
          if (!NUMBER.exec(source)) fail();
          i = NUMBER.lastIndex;
        }
      } else if (source[i] === "[") {
        i++;
        skip();
        value();
        skip();
        if (source[i] !== "]") fail();
        i++;
      } else break;
    }
    return `\${${source.slice(start, i)}}`;
  };

  const value = (): HclValue => {
    skip();
    const c = source[i];
    if (c === "{") {
      i++;
      const out: Record<string, HclValue> = {};
      for (;;) {
        skip();
        if (source[i] === "}") {
          i++;
          return out;
        }
        let key: string;
        if (source[i] === '"') key = string();
        else {
          IDENT.lastIndex = i;
          const m = IDENT.exec(source);
          if (!m) fail();
          key = m![0];
          i = IDENT.lastIndex;
        }
        skip();
        if (source[i] !== "=" && source[i] !== ":") fail();
        i++;
        out[key] = value();
        skip();
        if (source[i] === ",") i++;
      }
    }
    if (c === "[") {
      i++;
      const out: HclValue[] = [];
      for (;;) {
        skip();
        if (source[i] === "]") {
          i++;
          return out;
        }
        out.push(value());
        skip();
        if (source[i] === ",") i++;
        else if (source[i] !== "]") fail();
      }
    }
    if (c === '"') return string();
    NUMBER.lastIndex = i;
    const n = NUMBER.exec(source);
    if (n) {
      i = NUMBER.lastIndex;
      return Number(n[0]);
    }
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (source.startsWith(word, i) && !/[A-Za-z0-9_.[(-]/.test(source[i + word.length] ?? "")) {
        i += word.length;
        return v;
      }
    }
    return traversalOrCall();
  };

  try {
    const v = value();
    skip();
    if (i !== source.length) fail();
    return v;
  } catch (e) {
    if (e instanceof NotReadable) return undefined;
    throw e;
  }
}
