/**
 * A small parser for the subset of Alloy's configuration syntax the rendered config.alloy uses, so
 * the checks can list its components, block names and argument names and read values back:
 *
 *   file      = { attribute | block }
 *   block     = name [ string-label ] "{" { attribute | block } "}"      name = ident { "." ident }
 *   attribute = ident "=" expression
 *   expression: string ("..." or `...`), number, true/false/null, [list], { object },
 *               reference (ident { "." ident }), call (reference "(" args ")")
 *   comments: // line, /* block *\/, # line
 *
 * Not a validator of Alloy semantics: only structure and literal values.
 */

export type AlloyValue =
  | string
  | number
  | boolean
  | null
  | AlloyValue[]
  | { readonly kind: "object"; readonly entries: Readonly<Record<string, AlloyValue>> }
  | { readonly kind: "ref"; readonly path: string }
  | { readonly kind: "call"; readonly fn: string; readonly args: AlloyValue[] };

export interface AlloyAttribute {
  readonly name: string;
  readonly value: AlloyValue;
  readonly line: number;
}

export interface AlloyBlock {
  /** Dotted name: the component name for a top-level block ("prometheus.remote_write"), else the block name. */
  readonly name: string;
  readonly label?: string;
  readonly attributes: readonly AlloyAttribute[];
  readonly blocks: readonly AlloyBlock[];
  readonly line: number;
}

export interface AlloyFile {
  readonly attributes: readonly AlloyAttribute[];
  readonly blocks: readonly AlloyBlock[];
}

export class AlloySyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "AlloySyntaxError";
  }
}

type TokenKind = "ident" | "string" | "number" | "punct" | "eof";
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Decoded value of a string token. */
  readonly value?: string;
  readonly line: number;
}

const PUNCT = new Set(["{", "}", "[", "]", "(", ")", "=", ",", "."]);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if ((c === "/" && source[i + 1] === "/") || c === "#") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw new AlloySyntaxError("unterminated block comment", line);
      line += source.slice(i, end).split("\n").length - 1;
      i = end + 2;
    } else if (c === '"') {
      const start = line;
      let j = i + 1;
      let raw = "";
      while (j < n && source[j] !== '"') {
        if (source[j] === "\n") throw new AlloySyntaxError("newline in a string", start);
        if (source[j] === "\\") {
          raw += source.slice(j, j + 2);
          j += 2;
        } else raw += source[j++];
      }
      if (j >= n) throw new AlloySyntaxError("unterminated string", start);
      let value: string;
      try {
        value = JSON.parse(`"${raw}"`) as string;
      } catch {
        throw new AlloySyntaxError(`unsupported escape in string "${raw}"`, start);
      }
      tokens.push({ kind: "string", text: source.slice(i, j + 1), value, line: start });
      i = j + 1;
    } else if (c === "`") {
      const end = source.indexOf("`", i + 1);
      if (end < 0) throw new AlloySyntaxError("unterminated raw string", line);
      const value = source.slice(i + 1, end);
      tokens.push({ kind: "string", text: source.slice(i, end + 1), value, line });
      line += value.split("\n").length - 1;
      i = end + 1;
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(source[i + 1] ?? ""))) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      tokens.push({ kind: "number", text: m![0], line });
      i += m![0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
      tokens.push({ kind: "ident", text: m![0], line });
      i += m![0].length;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", text: c, line });
      i++;
    } else {
      throw new AlloySyntaxError(`unexpected character ${JSON.stringify(c)}`, line);
    }
  }
  tokens.push({ kind: "eof", text: "", line });
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    return this.tokens[this.pos++];
  }

  private isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === "punct" && t.text === text;
  }

  private expectPunct(text: string): Token {
    const t = this.next();
    if (t.kind !== "punct" || t.text !== text) throw new AlloySyntaxError(`expected "${text}", found ${describe(t)}`, t.line);
    return t;
  }

  private expectIdent(): Token {
    const t = this.next();
    if (t.kind !== "ident") throw new AlloySyntaxError(`expected a name, found ${describe(t)}`, t.line);
    return t;
  }

  /** Statements until `}` (inside a block) or end of file. */
  body(inBlock: boolean): { attributes: AlloyAttribute[]; blocks: AlloyBlock[] } {
    const attributes: AlloyAttribute[] = [];
    const blocks: AlloyBlock[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") {
        if (inBlock) throw new AlloySyntaxError('expected "}" before the end of the file', t.line);
        return { attributes, blocks };
      }
      if (inBlock && this.isPunct("}")) return { attributes, blocks };
      const first = this.expectIdent();
      if (this.isPunct("=")) {
        this.next();
        const seen = attributes.find((a) => a.name === first.text);
        if (seen) throw new AlloySyntaxError(`attribute "${first.text}" is set twice`, first.line);
        attributes.push({ name: first.text, value: this.expression(), line: first.line });
        continue;
      }
      const parts = [first.text];
      while (this.isPunct(".")) {
        this.next();
        parts.push(this.expectIdent().text);
      }
      let label: string | undefined;
      if (this.peek().kind === "string") label = this.next().value;
      this.expectPunct("{");
      const inner = this.body(true);
      this.expectPunct("}");
      blocks.push({ name: parts.join("."), label, attributes: inner.attributes, blocks: inner.blocks, line: first.line });
    }
  }

  expression(): AlloyValue {
    const t = this.next();
    if (t.kind === "string") return t.value!;
    if (t.kind === "number") return Number(t.text);
    if (t.kind === "ident") {
      if (t.text === "true" || t.text === "false") return t.text === "true";
      if (t.text === "null") return null;
      const parts = [t.text];
      while (this.isPunct(".")) {
        this.next();
        parts.push(this.expectIdent().text);
      }
      const path = parts.join(".");
      if (this.isPunct("(")) {
        this.next();
        const args: AlloyValue[] = [];
        while (!this.isPunct(")")) {
          args.push(this.expression());
          if (!this.isPunct(")")) this.expectPunct(",");
        }
        this.next();
        return { kind: "call", fn: path, args };
      }
      return { kind: "ref", path };
    }
    if (t.kind === "punct" && t.text === "[") {
      const items: AlloyValue[] = [];
      while (!this.isPunct("]")) {
        items.push(this.expression());
        if (!this.isPunct("]")) this.expectPunct(",");
      }
      this.next();
      return items;
    }
    if (t.kind === "punct" && t.text === "{") {
      const entries: Record<string, AlloyValue> = {};
      while (!this.isPunct("}")) {
        const key = this.next();
        if (key.kind !== "string" && key.kind !== "ident") throw new AlloySyntaxError(`expected an object key, found ${describe(key)}`, key.line);
        const name = key.kind === "string" ? key.value! : key.text;
        this.expectPunct("=");
        entries[name] = this.expression();
        if (!this.isPunct("}")) this.expectPunct(",");
      }
      this.next();
      return { kind: "object", entries };
    }
    throw new AlloySyntaxError(`expected a value, found ${describe(t)}`, t.line);
  }
}

function describe(t: Token): string {
  return t.kind === "eof" ? "the end of the file" : `"${t.text}"`;
}

export function parseAlloy(source: string): AlloyFile {
  const parser = new Parser(tokenize(source));
  return parser.body(false);
}

/** Attribute value by name, or undefined. */
export function attribute(block: AlloyBlock, name: string): AlloyValue | undefined {
  return block.attributes.find((a) => a.name === name)?.value;
}

/** Nested blocks with a name. */
export function childBlocks(block: AlloyBlock, name: string): AlloyBlock[] {
  return block.blocks.filter((b) => b.name === name);
}

/** Every reference (`a.b.c`) used in a value, depth first. */
export function referencesIn(value: AlloyValue | undefined): string[] {
  if (value === undefined || value === null || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value.kind === "ref") return [value.path];
  if (value.kind === "call") return value.args.flatMap(referencesIn);
  return Object.values(value.entries).flatMap(referencesIn);
}

/** An object value's entries as plain strings (non-strings are skipped), or undefined. */
export function stringMap(value: AlloyValue | undefined): Record<string, string> | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value) || value.kind !== "object") return undefined;
  return Object.fromEntries(Object.entries(value.entries).filter((e): e is [string, string] => typeof e[1] === "string"));
}
