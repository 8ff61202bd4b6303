/**
 * Sets string values in a tfvars-style settings file as a person would: the value of a key that is
 * there is replaced in place; a key that is not there is added inside the nearest enclosing object
 * the file has (`services = { loki = { ... } }`), creating the objects in between, with the
 * indentation of its neighbours. Every other byte of the file (comments, blank lines, alignment,
 * order) stays as it was.
 *
 * A small recursive reader of the literal subset the settings files use (objects, lists, strings,
 * numbers, booleans, heredocs, `#`, `//` and `/* *\/` comments); it records where each object key's
 * value starts and ends. The caller re-reads the result with the settings loader before writing it.
 */

/** Where one key of an object sits in the source. */
interface Entry {
  /** Indentation of the line the key is on. */
  readonly indent: string;
  readonly valueStart: number;
  readonly valueEnd: number;
  /** For an object value: the index of its closing brace. */
  readonly close?: number;
}

export class TfvarsEditError extends Error {}

/** Reads the file's key positions: dotted path → entry. Throws TfvarsEditError on what it cannot read. */
function locate(source: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  let i = 0;
  const fail = (what: string): never => {
    const line = source.slice(0, i).split("\n").length;
    throw new TfvarsEditError(`line ${line}: ${what}`);
  };
  const skip = (newlines: boolean) => {
    for (;;) {
      const c = source[i];
      if (c === " " || c === "\t" || c === "\r" || (newlines && (c === "\n" || c === ","))) i++;
      else if (c === "#" || (c === "/" && source[i + 1] === "/")) while (i < source.length && source[i] !== "\n") i++;
      else if (c === "/" && source[i + 1] === "*") {
        const end = source.indexOf("*/", i + 2);
        if (end < 0) fail("unterminated comment");
        i = end + 2;
      } else return;
    }
  };
  const readString = (): string => {
    const start = ++i;
    let depth = 0;
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if ((c === "$" || c === "%") && source[i + 1] === "{") {
        depth++;
        i += 2;
      } else if (depth > 0 && c === "}") {
        depth--;
        i++;
      } else if (depth === 0 && c === '"') break;
      else if (c === "\n") fail("unterminated string");
      else i++;
    }
    if (i >= source.length) fail("unterminated string");
    return source.slice(start, i++);
  };
  const lineIndent = (at: number) => {
    const start = source.lastIndexOf("\n", at - 1) + 1;
    return /^[ \t]*/.exec(source.slice(start))![0];
  };
  const readValue = (path: string): { end: number; close?: number } => {
    const c = source[i];
    if (c === "{") {
      i++;
      readObject(path, "}");
      const close = i;
      i++;
      return { end: i, close };
    }
    if (c === "[") {
      i++;
      let n = 0;
      for (;;) {
        skip(true);
        if (source[i] === "]") break;
        if (i >= source.length) fail("unterminated list");
        readValue(`${path}[${n++}]`);
      }
      i++;
      return { end: i };
    }
    if (c === '"') {
      readString();
      return { end: i };
    }
    if (c === "<" && source[i + 1] === "<") {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(source.slice(i));
      if (!m) fail("unreadable heredoc");
      const end = new RegExp(`^[ \\t]*${m![1]}[ \\t]*$`, "m");
      const rest = source.slice(i + m![0].length);
      const found = end.exec(rest);
      if (!found) fail(`heredoc ${m![1]} is not closed`);
      i += m![0].length + found!.index + found![0].length;
      return { end: i };
    }
    const m = /^[A-Za-z0-9_.+-]+/.exec(source.slice(i));
    if (!m) fail(`unexpected ${JSON.stringify(c ?? "end of file")}`);
    i += m![0].length;
    return { end: i };
  };
  const readObject = (path: string, closer: "}" | undefined) => {
    for (;;) {
      skip(true);
      if (i >= source.length) {
        if (closer) fail("unterminated object");
        return;
      }
      if (source[i] === closer) return;
      const keyAt = i;
      const key = source[i] === '"' ? readString() : /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i))?.[0];
      if (key === undefined) fail(`expected a key, found ${JSON.stringify(source[i])}`);
      if (source[keyAt] !== '"') i += key!.length;
      skip(false);
      if (source[i] !== "=" && source[i] !== ":") fail(`expected "=" after ${key}`);
      i++;
      skip(false);
      const full = path ? `${path}.${key}` : key!;
      const valueStart = i;
      const { end, close } = readValue(full);
      entries.set(full, { indent: lineIndent(keyAt), valueStart, valueEnd: end, close });
    }
  };
  readObject("", undefined);
  return entries;
}

/** A key as HCL writes it: bare when it is an identifier, quoted otherwise. */
const keyText = (k: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k));

/**
 * `source` with `path` (dotted, e.g. `services.loki.digest`) set to the string `value`. A path
 * through a value that is not an object is refused.
 */
export function setTfvarsString(source: string, path: string, value: string): string {
  const entries = locate(source);
  const parts = path.split(".");
  const literal = JSON.stringify(value);
  const here = entries.get(path);
  if (here) {
    if (here.close !== undefined) throw new TfvarsEditError(`${path} is an object; expected a string there`);
    return source.slice(0, here.valueStart) + literal + source.slice(here.valueEnd);
  }
  // The deepest ancestor the file has.
  let depth = parts.length - 1;
  while (depth > 0 && !entries.has(parts.slice(0, depth).join("."))) depth--;
  const ancestor = depth > 0 ? entries.get(parts.slice(0, depth).join(".")) : undefined;
  if (ancestor && ancestor.close === undefined) throw new TfvarsEditError(`${parts.slice(0, depth).join(".")} is not an object; cannot set ${path} inside it`);
  const unit = "  ";
  // Children's indentation: an existing child's, else one level deeper than the ancestor's key.
  const prefix = depth > 0 ? `${parts.slice(0, depth).join(".")}.` : "";
  const child = [...entries.entries()].find(([k]) => k.startsWith(prefix) && !k.slice(prefix.length).includes(".") && !k.slice(prefix.length).includes("["));
  // (A child on the ancestor's own line, `ecs = { a = 1 }`, has the ancestor's indentation: one level deeper then.)
  const indent = depth === 0 ? "" : child && child[1].indent.length > ancestor!.indent.length ? child[1].indent : `${ancestor!.indent}${unit}`;
  const rest = parts.slice(depth);
  const lines: string[] = [];
  rest.forEach((k, j) => {
    const pad = indent + unit.repeat(j);
    lines.push(j === rest.length - 1 ? `${pad}${keyText(k)} = ${literal}` : `${pad}${keyText(k)} = {`);
  });
  for (let j = rest.length - 2; j >= 0; j--) lines.push(`${indent + unit.repeat(j)}}`);
  const block = lines.join("\n");
  if (!ancestor) {
    const sep = source.length === 0 || source.endsWith("\n") ? "" : "\n";
    return `${source}${sep}${source.length > 0 ? "\n" : ""}${block}\n`;
  }
  const close = ancestor.close!;
  const lineStart = source.lastIndexOf("\n", close - 1) + 1;
  if (/^[ \t]*$/.test(source.slice(lineStart, close))) {
    // The closing brace is on a line of its own: the new lines go just above it.
    return `${source.slice(0, lineStart)}${block}\n${source.slice(lineStart)}`;
  }
  // A one-line object (`ecs = { container_insights = "enabled" }`): HCL separates items by newlines.
  return `${source.slice(0, close).replace(/[ \t]*$/, "")}\n${block}\n${ancestor.indent}${source.slice(close)}`;
}
