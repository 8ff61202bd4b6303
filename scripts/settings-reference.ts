/**
 * The settings reference, generated from the settings schema (settings/schema.ts, zod 4):
 *
 *   npm run docs                      writes docs/settings-reference.md
 *   npm run docs -- --check           exits 1 when the committed file differs (what the test checks)
 *   npm run docs -- --list-missing    the keys that have no description yet
 *
 * Every key of the schema becomes one row: its type, its default, its constraints (as the schema
 * states them: pattern, range, allowed values, list length) and its description, which comes from
 * the schema's own `.describe()` text where it has one, else from settings/descriptions.ts. The
 * values the shipped environments set are listed beside the default. A key without a description
 * fails the generation, so the reference cannot silently fall behind the schema. Output is
 * deterministic: keys in schema order, no dates.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { settingsSchema } from "../settings/schema";
import { loadSettings, listEnvironments, DEFAULT_ENVIRONMENTS_DIR } from "../settings/load";
import { describeKey, PLACEHOLDERS } from "../settings/descriptions";

export const REFERENCE_FILE = path.resolve(__dirname, "..", "docs", "settings-reference.md");

type Json = { [k: string]: any };

interface Row {
  readonly key: string;
  readonly type: string;
  readonly required: boolean;
  /** The optional object (or map entry, or list element) the key belongs to, if any. */
  readonly within?: string;
  readonly default?: unknown;
  readonly constraints: string[];
  readonly description: string | undefined;
  /** Values of the shipped environments, where they differ from the default. */
  readonly shipped: string[];
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A JSON value as it would be written in a tfvars file, shortened for a table cell. */
function hcl(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(hcl).join(", ")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, x]) => `${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k)} = ${hcl(x)}`).join(", ")} }`;
  }
  return "null";
}

function shorten(s: string, max = 80): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** A type as a reader says it. */
function typeOf(node: Json): string {
  if (node.anyOf) return node.anyOf.map(typeOf).join(" or ");
  if (node.enum) return node.enum.map((e: unknown) => JSON.stringify(e)).join(" or ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  switch (node.type) {
    case "array":
      return `list of ${typeOf(node.items ?? {})}`;
    case "object":
      if (node.properties) return "object";
      if (node.additionalProperties && typeof node.additionalProperties === "object") return `map of ${typeOf(node.additionalProperties)}`;
      return "object";
    case "integer":
      return "whole number";
    case "number":
      return "number";
    case "string":
      return node.format === "date" ? "date string" : "string";
    case "boolean":
      return "bool";
    default:
      return "any";
  }
}

/** The schema's own constraints of a node, in words. */
function constraintsOf(node: Json): string[] {
  const out: string[] = [];
  const nodes = node.anyOf ?? [node];
  for (const n of nodes) {
    if (n.pattern) out.push(`matches \`${n.pattern}\``);
    if (n.format && n.format !== "date") out.push(`a${n.format === "email" ? "n" : ""} ${n.format === "uri" ? "URL" : n.format}`);
    if (n.format === "date") out.push("YYYY-MM-DD");
    if (n.minimum !== undefined && n.maximum !== undefined && n.maximum !== MAX_SAFE) out.push(`${n.minimum}-${n.maximum}`);
    else {
      if (n.minimum !== undefined) out.push(`≥ ${n.minimum}`);
      if (n.maximum !== undefined && n.maximum !== MAX_SAFE) out.push(`≤ ${n.maximum}`);
    }
    if (n.exclusiveMinimum !== undefined) out.push(`> ${n.exclusiveMinimum}`);
    if (n.minLength !== undefined) out.push(`at least ${n.minLength} characters`);
    if (n.maxLength !== undefined) out.push(`at most ${n.maxLength} characters`);
    if (n.minItems !== undefined) out.push(`at least ${n.minItems} item${n.minItems === 1 ? "" : "s"}`);
    if (n.maxItems !== undefined) out.push(`at most ${n.maxItems} items`);
    if (n.type === "array" && n.items) out.push(...constraintsOf(n.items).map((c) => `each ${c}`));
    if (n.type === "object" && !n.properties && n.propertyNames?.pattern) out.push(`keys match \`${n.propertyNames.pattern}\``);
  }
  return [...new Set(out)];
}

/** The properties of an object node whose values are all the same schema (services, prefixes, prices). */
function uniformProperties(node: Json): string[] | undefined {
  const keys = Object.keys(node.properties ?? {});
  if (keys.length < 3) return undefined;
  const first = JSON.stringify(node.properties[keys[0]]);
  return keys.every((k) => JSON.stringify(node.properties[k]) === first) ? keys : undefined;
}

function valueAt(settings: unknown, key: string): unknown {
  let v: any = settings;
  for (const part of key.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = v[part];
  }
  return v;
}

/** What each shipped environment sets at a key, where it differs from the default ("dev, prod: x" when alike). */
function shippedValues(shipped: Record<string, unknown>, key: string, node: Json, objectWithFields: boolean): string[] {
  if (objectWithFields) return [];
  const byValue = new Map<string, string[]>();
  for (const [env, s] of Object.entries(shipped)) {
    const v = valueAt(s, key);
    if (v === undefined || JSON.stringify(v) === JSON.stringify(node.default)) continue;
    const shown = `\`${shorten(hcl(v)).replace(/`/g, "'")}\``;
    byValue.set(shown, [...(byValue.get(shown) ?? []), env]);
  }
  return [...byValue].map(([shown, envs]) => `${envs.join(", ")}: ${shown}`);
}

/**
 * The default zod itself holds for an object key, where its JSON Schema leaves it out (z.toJSONSchema
 * drops the default of `tenants`' record). Only plain object paths; maps and lists have none.
 */
function zodDefault(key: string): unknown {
  let s: any = settingsSchema;
  for (const part of key.split(".")) {
    while (s?._zod?.def && ["default", "prefault", "optional", "pipe"].includes(s._zod.def.type) && !s._zod.def.shape) {
      s = s._zod.def.type === "pipe" ? s._zod.def.in : s._zod.def.innerType;
    }
    s = s?._zod?.def?.shape?.[part];
    if (s === undefined) return undefined;
  }
  return s._zod.def.type === "default" ? s._zod.def.defaultValue : undefined;
}

interface Walk {
  rows: Row[];
  shipped: Record<string, unknown>;
}

/** `within`: the optional object a required key belongs to (required only when that object is set). */
function walk(node: Json, key: string, required: boolean, w: Walk, within?: string): void {
  if (node.default === undefined && !key.includes("<") && !key.includes("[]")) {
    const d = zodDefault(key);
    if (d !== undefined) node = { ...node, default: d };
  }
  const description = node.description ?? describeKey(key);
  const isObject = node.type === "object" && node.properties;
  const isMap = node.type === "object" && !node.properties && typeof node.additionalProperties === "object";
  const placeholder = key.includes("<");
  const shipped = placeholder
    ? []
    : shippedValues(w.shipped, key, node, isObject && !isMap);
  // Objects with fields get a row only when they say something themselves; their fields follow.
  if (!isObject || node.description !== undefined || describeKey(key) !== undefined) {
    w.rows.push({ key, type: typeOf(node), required, within, default: node.default, constraints: constraintsOf(node), description, shipped });
  }
  if (isObject) {
    const uniform = uniformProperties(node);
    if (uniform) {
      const name = PLACEHOLDERS[key] ?? "<key>";
      walk(node.properties[uniform[0]], `${key}.${name}`, true, w);
      return;
    }
    const req = new Set<string>(node.required ?? []);
    const inner = required ? within : key;
    for (const [k, child] of Object.entries(node.properties as Json)) walk(child, `${key}.${k}`, req.has(k), w, inner);
  } else if (isMap && node.additionalProperties.type === "object" && node.additionalProperties.properties) {
    const name = PLACEHOLDERS[key] ?? "<key>";
    const child = node.additionalProperties;
    const req = new Set<string>(child.required ?? []);
    for (const [k, c] of Object.entries(child.properties as Json)) walk(c, `${key}.${name}.${k}`, req.has(k), w, `${key}.${name}`);
  } else if (node.type === "array" && node.items?.type === "object" && node.items.properties) {
    const req = new Set<string>(node.items.required ?? []);
    for (const [k, c] of Object.entries(node.items.properties as Json)) walk(c, `${key}[].${k}`, req.has(k), w, `${key}[]`);
  }
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The reference as Markdown, from the schema and the shipped environments in `environmentsDir`. */
export async function settingsReference(environmentsDir: string = DEFAULT_ENVIRONMENTS_DIR): Promise<{ markdown: string; missing: string[] }> {
  const json = z.toJSONSchema(settingsSchema, { io: "input", unrepresentable: "any" }) as Json;
  const shipped: Record<string, unknown> = {};
  for (const env of listEnvironments(environmentsDir).sort()) shipped[env] = await loadSettings(env, { environmentsDir });
  const w: Walk = { rows: [], shipped };
  const req = new Set<string>(json.required ?? []);
  for (const [k, child] of Object.entries(json.properties as Json)) walk(child, k, req.has(k), w);

  const missing = w.rows.filter((r) => r.description === undefined).map((r) => r.key);
  const top = (key: string) => key.split(/[.[]/)[0];
  const sections = [...new Set(w.rows.map((r) => top(r.key)))];
  const lines = [
    "# Settings reference",
    "",
    "<!-- Generated by `npm run docs` (scripts/settings-reference.ts) from settings/schema.ts and",
    "     settings/descriptions.ts. Do not edit: test/settings-reference.test.ts fails when it is stale. -->",
    "",
    "Every key of `environments/common.tfvars` and `environments/<env>.tfvars`, generated from the",
    "settings schema. **Default** is what the schema fills in when no file sets the key (*required*:",
    "every environment must set it, in common.tfvars or its own file; *required* in an optional",
    "object: when that object is set); **Shipped** lists what the",
    "shipped environments set where it differs from the default; **Constraints** are the schema's own",
    "checks (the cross-field checks of settings/checks.ts and the sizing, quorum and cache checks",
    "come on top and are named in the descriptions). `<name>`, `<id>` and `<key>` stand for a map's",
    "keys; `[]` for each element of a list. The prose, the service catalog and tenants are explained",
    "in [settings.md](settings.md).",
    "",
    `Sections: ${sections.map((s) => `[\`${s}\`](#${s})`).join(", ")}.`,
  ];
  for (const section of sections) {
    lines.push("", `## ${section}`, "", "| Key | Type | Default | Constraints | Shipped | Description |", "|---|---|---|---|---|---|");
    for (const r of w.rows.filter((x) => top(x.key) === section)) {
      const def =
        r.default !== undefined
          ? `\`${shorten(hcl(r.default)).replace(/`/g, "'")}\``
          : !r.required
            ? "unset"
            : r.within
              ? `*required* in \`${r.within}\``
              : "*required*";
      lines.push(`| \`${cell(r.key)}\` | ${cell(r.type)} | ${cell(def)} | ${cell(r.constraints.join("; "))} | ${cell(r.shipped.join("; "))} | ${cell(r.description ?? "")} |`);
    }
  }
  return { markdown: `${lines.join("\n")}\n`, missing };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--check" && a !== "--list-missing");
  if (unknown.length > 0) {
    console.error(`usage: npm run docs [-- --check | --list-missing]\nunknown argument: ${unknown[0]}`);
    process.exit(2);
  }
  const { markdown, missing } = await settingsReference();
  if (args.includes("--list-missing")) {
    console.log(missing.join("\n"));
    return;
  }
  if (missing.length > 0) {
    console.error(`settings/descriptions.ts: no description for ${missing.length} key(s) of settings/schema.ts:\n  ${missing.join("\n  ")}\nexpected a .describe() text in the schema or an entry in settings/descriptions.ts`);
    process.exit(1);
  }
  const rel = path.relative(process.cwd(), REFERENCE_FILE);
  if (args.includes("--check")) {
    const current = fs.existsSync(REFERENCE_FILE) ? fs.readFileSync(REFERENCE_FILE, "utf8") : "";
    if (current !== markdown) {
      console.error(`${rel} is stale: run npm run docs and commit it`);
      process.exit(1);
    }
    console.log(`${rel} is up to date`);
    return;
  }
  fs.writeFileSync(REFERENCE_FILE, markdown);
  console.log(`wrote ${rel} (${markdown.split("\n").length} lines)`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
