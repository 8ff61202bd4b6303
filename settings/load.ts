/**
 * Loads one environment's settings: parses environments/common.tfvars and environments/<env>.tfvars
 * with a real HCL parser, deep-merges the environment file over the common one (maps merge key by
 * key; lists and scalars replace), validates the result against the schema and the cross-field
 * checks, and returns a typed, frozen `Settings`. Every problem names the file that set the key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import type { z } from "zod";
import { settingsSchema, type Settings } from "./schema";
import { checkSettings } from "./checks";
import { didYouMean, SettingsError, type SettingsProblem } from "./errors";

export const COMMON_FILE = "common.tfvars";
const ENV_NAME_RE = /^[a-z][a-z0-9]{0,9}$/;

export interface LoadOptions {
  /** Folder holding common.tfvars and <env>.tfvars. @default "<project>/environments" */
  readonly environmentsDir?: string;
  /** Base for the file names shown in errors. @default process.cwd() */
  readonly displayRoot?: string;
}

export const DEFAULT_ENVIRONMENTS_DIR = path.resolve(__dirname, "..", "environments");

/** Environment names: every `<env>.tfvars` in the folder except common.tfvars, sorted. */
export function listEnvironments(environmentsDir: string = DEFAULT_ENVIRONMENTS_DIR): string[] {
  if (!fs.existsSync(environmentsDir)) return [];
  return fs
    .readdirSync(environmentsDir)
    .filter((f) => f.endsWith(".tfvars") && f !== COMMON_FILE)
    .map((f) => f.slice(0, -".tfvars".length))
    .sort();
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Provenance = Map<string, string>;

export async function loadSettings(env: string, options: LoadOptions = {}): Promise<Settings> {
  const dir = options.environmentsDir ?? DEFAULT_ENVIRONMENTS_DIR;
  const display = (f: string) => path.relative(options.displayRoot ?? process.cwd(), f) || f;
  const commonFile = path.join(dir, COMMON_FILE);
  const envFile = path.join(dir, `${env}.tfvars`);

  if (!ENV_NAME_RE.test(env)) {
    throw new SettingsError([
      { file: display(envFile), key: "", message: `environment name "${env}" must be 1-10 lowercase letters or digits, starting with a letter (it goes into every resource name)` },
    ]);
  }
  if (!fs.existsSync(envFile)) {
    const known = listEnvironments(dir);
    const hint = didYouMean(env, known);
    throw new SettingsError([
      {
        file: display(envFile),
        key: "",
        message: `unknown environment "${env}": no such file${hint ? `; did you mean "${hint}"?` : ""} (known environments: ${known.join(", ") || "none"})`,
      },
    ]);
  }

  const provenance: Provenance = new Map();
  const layers: [string, Record<string, Json>][] = [];
  for (const file of fs.existsSync(commonFile) ? [commonFile, envFile] : [envFile]) {
    layers.push([display(file), await parseTfvars(file, display(file))]);
  }
  const merged: Record<string, Json> = {};
  for (const [file, values] of layers) deepMerge(merged, values, file, "", provenance);

  const files = layers.map(([f]) => f);
  const result = settingsSchema.safeParse(merged, { reportInput: true });
  if (!result.success) {
    throw new SettingsError(result.error.issues.map((issue) => toProblem(issue, provenance, files)));
  }
  const settings: Settings = { ...result.data, env };
  const problems = checkSettings(settings).map((p) => ({
    file: fileFor(p.key.split("."), provenance, files),
    key: p.key,
    message: p.message,
  }));
  if (problems.length > 0) throw new SettingsError(problems);
  return deepFreeze(settings);
}

async function parseTfvars(file: string, shown: string): Promise<Record<string, Json>> {
  let parsed: Record<string, Json>;
  try {
    parsed = (await parseHcl(shown, fs.readFileSync(file, "utf8"))) as Record<string, Json>;
  } catch (e) {
    const text = String(e instanceof Error ? e.message : e).replace(/^parse config: \[?/, "").replace(/\]$/, "");
    throw new SettingsError([{ file: shown, key: "", message: `not valid HCL: ${text}` }]);
  }
  const expressions: SettingsProblem[] = [];
  findExpressions(parsed, "", (key, value) =>
    expressions.push({
      file: shown,
      key,
      message: `expressions are not evaluated in settings files; write a literal value instead of ${JSON.stringify(value)}`,
    }),
  );
  if (expressions.length > 0) throw new SettingsError(expressions);
  return parsed;
}

/** hcl2json returns anything that is not a literal as a "${...}" string. */
function findExpressions(value: Json, key: string, report: (key: string, value: string) => void): void {
  if (typeof value === "string" && value.includes("${")) report(key, value);
  else if (Array.isArray(value)) value.forEach((v, i) => findExpressions(v, `${key}[${i}]`, report));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) findExpressions(v, key ? `${key}.${k}` : k, report);
  }
}

function isMap(v: Json | undefined): v is { [k: string]: Json } {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Maps merge key by key; anything else (scalars, lists, null) replaces. Records who set each key. */
function deepMerge(target: Record<string, Json>, source: Record<string, Json>, file: string, prefix: string, provenance: Provenance): void {
  for (const [k, v] of Object.entries(source)) {
    const key = prefix ? `${prefix}.${k}` : k;
    provenance.set(key, file);
    const existing = target[k];
    if (isMap(existing) && isMap(v)) {
      deepMerge(existing, v, file, key, provenance);
    } else {
      target[k] = isMap(v) ? structuredClone(v) : v;
      if (isMap(v)) recordAll(v, file, key, provenance);
    }
  }
}

function recordAll(value: { [k: string]: Json }, file: string, prefix: string, provenance: Provenance): void {
  for (const [k, v] of Object.entries(value)) {
    provenance.set(`${prefix}.${k}`, file);
    if (isMap(v)) recordAll(v, file, `${prefix}.${k}`, provenance);
  }
}

/** The file that set the deepest existing part of a key path; both files when nobody set it. */
function fileFor(parts: readonly (string | number)[], provenance: Provenance, files: readonly string[]): string {
  for (let n = parts.length; n > 0; n--) {
    const file = provenance.get(parts.slice(0, n).join("."));
    if (file) return file;
  }
  return files.join(" or ");
}

function keyOf(parts: readonly PropertyKey[]): string {
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("");
}

function toProblem(issue: z.core.$ZodIssue, provenance: Provenance, files: readonly string[]): SettingsProblem {
  const parts = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(parts);
    const messages = issue.keys.map((k) => {
      const hint = didYouMean(k, known);
      return `unknown key "${k}"${hint ? `; did you mean "${hint}"?` : ""} (expected one of: ${known.join(", ")})`;
    });
    const keyPath = issue.keys.length === 1 ? [...parts, issue.keys[0]] : parts;
    return { file: fileFor(keyPath.map(String), provenance, files), key: keyOf(keyPath), message: messages.join("; ") };
  }
  if (issue.code === "invalid_key") {
    // A map key the schema refuses (a tenant id, a CIDR name): say why, with the key quoted.
    const inner = (issue as unknown as { issues?: { message: string }[] }).issues?.[0]?.message ?? issue.message;
    const key = String(parts[parts.length - 1]);
    return {
      file: fileFor(parts.map(String), provenance, files),
      key: `${keyOf(parts.slice(0, -1))}[${JSON.stringify(key)}]`,
      message: `${inner.replace(/^Invalid input: /, "")}, got key ${JSON.stringify(key)}`,
    };
  }
  const stringParts = parts.map(String);
  const isMissing = issue.code === "invalid_type" && (issue as { input?: unknown }).input === undefined;
  if (isMissing) {
    return {
      file: files.join(" or "),
      key: keyOf(parts),
      message: `is required but set in neither file (${issue.message.replace(/^Invalid input: /, "").replace(/, received undefined$/, "")})`,
    };
  }
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined ? "" : `, got ${JSON.stringify(input)}`;
  const message = issue.message.replace(/^Invalid input: /, "").replace(/, received \w+$/, "");
  return { file: fileFor(stringParts, provenance, files), key: keyOf(parts), message: `${message}${message.includes(", got ") ? "" : got}` };
}

/** Keys the schema allows at a path, for did-you-mean. */
function knownKeysAt(parts: readonly (string | number)[]): string[] {
  let schema: z.core.$ZodType | undefined = settingsSchema;
  for (const part of parts) {
    schema = unwrap(schema);
    const def = schema?._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; valueType?: z.core.$ZodType; element?: z.core.$ZodType };
    if (def?.type === "object") schema = def.shape?.[String(part)];
    else if (def?.type === "record") schema = def.valueType;
    else if (def?.type === "array") schema = def.element;
    else return [];
  }
  const def = unwrap(schema)?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let s = schema;
  while (s && ["optional", "default", "prefault", "nullable", "readonly"].includes(s._zod.def.type)) {
    s = (s._zod.def as unknown as { innerType: z.core.$ZodType }).innerType;
  }
  return s;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
