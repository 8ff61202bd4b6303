/**
 * Loads one environment's settings: parses environments/common.tfvars and environments/<env>.tfvars
 * with a real HCL parser, deep-merges the environment file over the common one (maps merge key by
 * key; lists and scalars replace), validates the result against the schema and the cross-field
 * checks, and returns a typed, frozen `Settings`. Every problem names the file that set the key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import { loadSchema, settingsSchema, type Settings } from "./schema";
import { checkSettings } from "./checks";
import { checkSizing, deriveMissingSizes } from "./sizing-checks";
import { didYouMean, SettingsError, shown, type SettingsProblem } from "./errors";
import { scanHcl } from "./hcl-scan";
import { parseLiteralHcl } from "./hcl-literal";
import { unreadable } from "./files";
import { majorDowngrades, olderThanUpstream } from "./image-versions";
import { replicationWarnings } from "./quorum";

export const COMMON_FILE = "common.tfvars";
const ENV_NAME_RE = /^[a-z][a-z0-9]{0,9}$/;

export interface LoadOptions {
  /** Folder holding common.tfvars and <env>.tfvars. @default "<project>/environments" */
  readonly environmentsDir?: string;
  /** Base for the file names shown in errors. @default process.cwd() */
  readonly displayRoot?: string;
  /**
   * Receives what is worth a look but does not stop synth (explicit sizes below the declared load).
   * @default printed to stderr as "warning: <file>: <key>: <message>"
   */
  readonly onWarning?: (warning: SettingsProblem) => void;
}

/** Where a value derived from the load block came from, in messages. */
export const DERIVED_FROM_LOAD = "load (derived)";

export const DEFAULT_ENVIRONMENTS_DIR = path.resolve(__dirname, "..", "environments");

export { unreadable } from "./files";

/** Environment names: every `<env>.tfvars` in the folder except common.tfvars, sorted. */
export function listEnvironments(environmentsDir: string = DEFAULT_ENVIRONMENTS_DIR): string[] {
  const why = unreadable(environmentsDir, "folder");
  if (why === "no such folder") return [];
  if (why) throw new SettingsError([{ file: path.relative(process.cwd(), environmentsDir) || environmentsDir, key: "", message: why }]);
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
  const envWhy = unreadable(envFile, "file");
  if (envWhy === "no such file") {
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
  if (envWhy) throw new SettingsError([{ file: display(envFile), key: "", message: envWhy }]);
  const commonWhy = unreadable(commonFile, "file");
  if (commonWhy) {
    const message =
      commonWhy === "no such file"
        ? `no such file; every environment's settings start from it (the keys all environments share), with ${path.basename(envFile)} on top`
        : commonWhy;
    throw new SettingsError([{ file: display(commonFile), key: "", message }]);
  }

  const provenance: Provenance = new Map();
  const layers: [string, Record<string, Json>][] = [];
  for (const file of [commonFile, envFile]) {
    layers.push([display(file), await parseTfvars(file, display(file))]);
  }
  const merged: Record<string, Json> = {};
  for (const [file, values] of layers) deepMerge(merged, values, file, "", provenance);

  const files = layers.map(([f]) => f);
  // Sizes the files leave out, derived from a well-formed load block before validation.
  const load = loadSchema.safeParse(merged.load);
  if (merged.load !== undefined && load.success) {
    const derived = deriveMissingSizes(load.data, isMap(merged.services) ? merged.services : undefined);
    if (derived.problems.length > 0) {
      throw new SettingsError(derived.problems.map((p) => ({ file: fileFor(["load"], provenance, files), key: p.key, message: p.message })));
    }
    for (const [service, values] of Object.entries(derived.values)) {
      if (!isMap(merged.services)) merged.services = {};
      const services = merged.services as Record<string, Json>;
      if (!isMap(services[service])) services[service] = {};
      Object.assign(services[service] as Record<string, Json>, values);
      for (const k of Object.keys(values)) provenance.set(`services.${service}.${k}`, DERIVED_FROM_LOAD);
    }
  }
  const result = settingsSchema.safeParse(merged, { reportInput: true, error: inOwnWords });
  if (!result.success) {
    throw new SettingsError(result.error.issues.map((issue) => toProblem(issue, provenance, files)));
  }
  const settings: Settings = { ...result.data, env };
  const problems = checkSettings(settings).map((p) => ({
    file: fileFor(p.key.split("."), provenance, files),
    key: p.key,
    message: p.message,
  }));
  // An environment file going back a major release from common.tfvars (the files as written).
  const [commonLayer, envLayer] = layers;
  const services = (l: (typeof layers)[number]) => (isMap(l[1].services) ? l[1].services : undefined);
  for (const d of majorDowngrades(services(commonLayer), services(envLayer), path.basename(commonLayer[0]))) problems.push({ file: envLayer[0], ...d });
  if (problems.length > 0) throw new SettingsError(problems);
  const warn = options.onWarning ?? ((w: SettingsProblem) => console.warn(`warning: ${w.file}: ${w.key}: ${w.message}`));
  for (const w of [...checkSizing(settings).warnings, ...replicationWarnings(settings), ...olderThanUpstream(settings)]) warn({ file: fileFor(w.key.split("."), provenance, files), key: w.key, message: w.message });
  return deepFreeze(settings);
}

async function parseTfvars(file: string, name: string): Promise<Record<string, Json>> {
  let parsed: Record<string, Json>;
  // A byte-order mark (a file saved by a Windows editor) is not part of the settings; CRLF line
  // endings are read as they are by both parsers.
  const source = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  try {
    // Literal-only files (every shipped one) skip hcl2json's wasm; anything else is its to parse.
    parsed = parseLiteralHcl(source) ?? ((await (await import("@cdktf/hcl2json")).parse(name, source)) as Record<string, Json>);
  } catch (e) {
    const text = String(e instanceof Error ? e.message : e).replace(/^parse config: \[?/, "").replace(/\]$/, "");
    throw new SettingsError([{ file: name, key: "", message: `not valid HCL: ${text}` }]);
  }
  const expressions: SettingsProblem[] = scanHcl(source).map((p) => ({ file: name, ...p }));
  findExpressions(parsed, "", (key, value) =>
    expressions.push({
      file: name,
      key,
      message: `expressions are not evaluated in settings files; write a literal value instead of ${shown(value)}`,
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

/** Key segments longer than this are cut in messages (a 50 MB key is still named, not echoed). */
const KEY_SEGMENT_MAX = 40;

function keyOf(parts: readonly PropertyKey[]): string {
  const segment = (p: PropertyKey) => {
    const text = String(p);
    return text.length > KEY_SEGMENT_MAX ? `${text.slice(0, KEY_SEGMENT_MAX - 1)}…` : text;
  };
  return parts.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${segment(p)}`)).join("");
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
    // A long key is named by its start (a 50 MB key is not echoed); a message that quotes it already says no more.
    const quoted = JSON.stringify(key.length > KEY_SEGMENT_MAX ? `${key.slice(0, KEY_SEGMENT_MAX - 1)}…` : key);
    const message = inner.replace(/^Invalid input: /, "");
    return {
      file: fileFor(parts.map(String), provenance, files),
      key: `${keyOf(parts.slice(0, -1))}[${quoted}]`,
      message: message.includes(`"${key.slice(0, 20)}`) ? message : `${message}, got key ${quoted}`,
    };
  }
  if (issue.code === "invalid_element") {
    // A record value that broke a rule: zod nests the real issue.
    const inner = (issue as { issues?: z.core.$ZodIssue[] }).issues?.[0];
    const key = String((issue as { key?: unknown }).key ?? (issue as { input?: unknown }).input ?? "");
    const message = inner ? messageOf(inner) : "is not allowed here";
    return { file: fileFor([...parts.map(String), key], provenance, files), key: keyOf(parts), message };
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
  return { file: fileFor(stringParts, provenance, files), key: keyOf(parts), message: messageOf(issue) };
}

/** An issue's message with the value found, quoted short. */
function messageOf(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const message = issue.message.replace(/^Invalid input: /, "").replace(/, received \w+$/, "");
  if (input === undefined || message.includes(", got ") || message.includes(shown(input))) return message;
  return `${message}, got ${shown(input)}`;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string in quotes",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list such as [\"a\", \"b\"]",
  object: "a block such as { key = value }",
  record: "a map such as { name = \"value\" }",
};

/**
 * Settings errors in this project's words, for the rules that bring no message of their own (the
 * schema's messages win over this map); zod's wording ("expected record", "Too small", "Invalid key
 * in record") never reaches the user.
 */
const inOwnWords: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case "too_small":
      return issue.origin === "array"
        ? `expected at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}`
        : issue.origin === "string"
          ? `expected at least ${issue.minimum} character${Number(issue.minimum) === 1 ? "" : "s"}`
          : `expected ${issue.inclusive === false ? "more than" : "at least"} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array"
        ? `expected at most ${issue.maximum} items`
        : issue.origin === "string"
          ? `expected at most ${issue.maximum} characters`
          : `expected ${issue.inclusive === false ? "less than" : "at most"} ${issue.maximum}`;
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "invalid_format":
      return issue.format === "regex" ? "is not in the expected format" : `expected ${issue.format === "url" ? "a URL" : `a ${issue.format}`}`;
    case "invalid_key":
      return "has a key that is not allowed here";
    case "invalid_element":
      return "has a value that is not allowed here";
    case "invalid_union":
      return "is not any of the accepted forms";
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}`;
    default:
      return "is not a valid value";
  }
};

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
