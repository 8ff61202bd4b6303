/**
 * What the HCL parser's JSON cannot show, read from the source text of a settings file that already
 * parsed: a key written twice in one object (hcl2json keeps the last value silently) and a number
 * too large for JavaScript (hcl2json turns 1e400 into null, and rounds 2^53 and above).
 *
 * A small tokenizer, not a parser: it tracks objects, lists and parentheses, strings with their
 * `${...}` templates, heredocs and comments, and the key path of every value.
 */

export interface ScanProblem {
  /** Dotted key path as the settings errors write it, e.g. `services.loki.cpu` or `a.b[2]`. */
  readonly key: string;
  readonly message: string;
}

interface Frame {
  readonly kind: "object" | "list" | "paren";
  readonly path: string;
  /** object: key -> line of its first definition. */
  readonly keys: Map<string, number>;
  /** object: the key whose value is being read; undefined while a key is expected. */
  current?: string;
  /** list: index of the element being read. */
  index: number;
}

const WORD = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /\d+(\.\d+)?([eE][+-]?\d+)?/y;

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

export function scanHcl(source: string): ScanProblem[] {
  const problems: ScanProblem[] = [];
  const stack: Frame[] = [{ kind: "object", path: "", keys: new Map(), index: 0 }];
  let i = 0;
  let line = 1;
  /** An identifier or string seen where a key is expected: [name, line]. */
  let candidate: [string, number] | undefined;

  const top = () => stack[stack.length - 1];
  const valuePath = (): string | undefined => {
    const f = top();
    if (f.kind === "object") return f.current === undefined ? undefined : join(f.path, f.current);
    if (f.kind === "list") return `${f.path}[${f.index}]`;
    return undefined;
  };
  const endItem = () => {
    const f = top();
    if (f.kind === "object") f.current = undefined;
    candidate = undefined;
  };

  /** Skips a quoted string starting at source[i] === '"', templates included; returns its raw text. */
  const readString = (): string => {
    const start = ++i;
    let depth = 0;
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if (depth === 0 && c === '"') break;
      else if ((c === "$" || c === "%") && source[i + 1] === "{") {
        depth++;
        i += 2;
      } else if (depth > 0 && c === "}") {
        depth--;
        i++;
      } else {
        if (c === "\n") line++;
        i++;
      }
    }
    const text = source.slice(start, i);
    i++;
    return text;
  };

  while (i < source.length) {
    const c = source[i];
    if (c === "\n") {
      line++;
      i++;
      if (top().kind === "object") endItem();
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "#" || (c === "/" && source[i + 1] === "/")) {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      for (let j = i; j < stop; j++) if (source[j] === "\n") line++;
      i = stop;
      continue;
    }
    if (c === "<" && source[i + 1] === "<") {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(source.slice(i, i + 200));
      if (m) {
        const end = new RegExp(`\\n[ \\t]*${m[1]}[ \\t]*(\\r?\\n|$)`).exec(source.slice(i + m[0].length - 1));
        const stop = end ? i + m[0].length - 1 + end.index + end[0].length : source.length;
        for (let j = i; j < stop; j++) if (source[j] === "\n") line++;
        i = stop;
        if (top().kind === "object") endItem();
        continue;
      }
    }
    const f = top();
    const expectingKey = f.kind === "object" && f.current === undefined;
    if (c === '"') {
      const at = line;
      const text = readString();
      if (expectingKey) candidate = [text, at];
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(source);
    if (word) {
      if (expectingKey) candidate = [word[0], line];
      i += word[0].length;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(source);
    if (num) {
      const path = valuePath();
      const value = Number(num[0]);
      if (path !== undefined) {
        if (!Number.isFinite(value)) {
          problems.push({ key: path, message: `${num[0].length > 24 ? `${num[0].slice(0, 20)}… (${num[0].length} digits)` : num[0]} is too large a number to represent` });
        } else if (num[1] === undefined && num[2] === undefined && !Number.isSafeInteger(value)) {
          problems.push({ key: path, message: `${num[0].length > 24 ? `${num[0].slice(0, 20)}… (${num[0].length} digits)` : num[0]} is too large a whole number to represent exactly (the largest is ${Number.MAX_SAFE_INTEGER})` });
        }
      }
      i += num[0].length;
      continue;
    }
    if ((c === "=" || c === ":") && source[i + 1] !== "=" && expectingKey && candidate) {
      const [key, at] = candidate;
      const first = f.keys.get(key);
      if (first !== undefined) {
        problems.push({ key: join(f.path, key), message: `is written twice in one object (lines ${first} and ${at}); only the last value would count, so keep one` });
      } else f.keys.set(key, at);
      f.current = key;
      candidate = undefined;
      i++;
      continue;
    }
    if (c === "{" || c === "[" || c === "(") {
      const path = valuePath() ?? f.path;
      stack.push({ kind: c === "{" ? "object" : c === "[" ? "list" : "paren", path, keys: new Map(), index: 0 });
      i++;
      continue;
    }
    if (c === "}" || c === "]" || c === ")") {
      if (stack.length > 1) stack.pop();
      i++;
      continue;
    }
    if (c === ",") {
      if (f.kind === "list") f.index++;
      else endItem();
      i++;
      continue;
    }
    i++;
  }
  return problems;
}
