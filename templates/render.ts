/**
 * Renders templates/<service>/**\/*.hbs with the view model of ./context.ts.
 *
 * - One isolated Handlebars environment, strict (a misspelt field in a template throws instead of
 *   rendering an empty value) and without HTML escaping (the output is YAML and Alloy syntax).
 * - Values are written through helpers that quote them for the target syntax (`json` for YAML, whose
 *   flow style JSON is; `alloy` for Alloy syntax), so no setting can break the file's structure.
 * - Partials: every templates/partials/*.hbs under its file name (`{{> server mimir.server}}`). A
 *   standalone partial call is indented as a whole, so one partial serves any nesting depth.
 * - Output is deterministic: templates in sorted order, trailing spaces removed, runs of blank lines
 *   collapsed, one final newline.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Handlebars from "handlebars";
import { SERVICE_NAMES, type ServiceName } from "../settings/components";
import type { Settings } from "../settings/schema";
import { buildContext, CONFIG_DIR } from "./context";
import PRECOMPILED, { type PrecompiledTemplates } from "./precompiled";

export const TEMPLATES_DIR = __dirname;
const PARTIALS_DIR = path.join(TEMPLATES_DIR, "partials");
export const COMPILE_OPTIONS: CompileOptions = { noEscape: true, strict: true };

type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;

export interface RenderedConfig {
  /** The service whose container reads the file. */
  readonly service: ServiceName;
  /** Path relative to the config directory, e.g. "mimir.yaml" or "provisioning/datasources/datasources.yaml". */
  readonly fileName: string;
  /** Absolute path in the container, under CONFIG_DIR. */
  readonly containerPath: string;
  readonly content: string;
  /** Hex SHA-256 of `content`: shows in the task definition which service's config changed. */
  readonly sha256: string;
}

export interface TemplateFile {
  readonly service: ServiceName;
  readonly fileName: string;
  /** Path relative to the project root, for messages. */
  readonly source: string;
  readonly absolutePath: string;
}

/** Every template of every service, in SERVICE_NAMES order then file name order. */
export function listTemplates(templatesDir: string = TEMPLATES_DIR): TemplateFile[] {
  const out: TemplateFile[] = [];
  for (const service of SERVICE_NAMES) {
    const dir = path.join(templatesDir, service);
    if (!fs.existsSync(dir)) throw new Error(`templates/${service}/ is missing: every service needs its config template`);
    const files = walk(dir).filter((f) => f.endsWith(".hbs")).sort();
    if (files.length === 0) throw new Error(`templates/${service}/ has no .hbs template`);
    for (const file of files) {
      const fileName = path.relative(dir, file).split(path.sep).join("/").replace(/\.hbs$/, "");
      out.push({ service, fileName, source: `templates/${service}/${fileName}.hbs`, absolutePath: file });
    }
  }
  return out;
}

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

let environment: { hb: typeof Handlebars; templates: Map<string, HandlebarsTemplateDelegate> } | undefined;

function hbEnvironment(): { hb: typeof Handlebars; templates: Map<string, HandlebarsTemplateDelegate> } {
  if (environment) return environment;
  const hb = Handlebars.create();
  hb.registerHelper("json", (value: unknown) => {
    if (value === undefined) throw new Error("templates: json of an undefined value");
    return JSON.stringify(value);
  });
  hb.registerHelper("alloy", (value: unknown) => alloyValue(value));
  // An object with one dynamic key, for Alloy header maps: (kv "X-Scope-OrgID" tenant).
  hb.registerHelper("kv", (name: unknown, value: unknown) => ({ [String(name)]: value }));
  // Strings joined: (concat "Mimir" nameSuffix).
  hb.registerHelper("concat", (...args: unknown[]) => args.slice(0, -1).map(String).join(""));
  // A POSIX path under a directory: (path dataDir "tsdb").
  hb.registerHelper("path", (...args: unknown[]) => path.posix.join(...args.slice(0, -1).map(String)));
  for (const file of fs.readdirSync(PARTIALS_DIR).filter((f) => f.endsWith(".hbs")).sort()) {
    hb.registerPartial(file.replace(/\.hbs$/, ""), compile(hb, path.join(PARTIALS_DIR, file)));
  }
  environment = { hb, templates: new Map() };
  return environment;
}

/** A template file compiled: precompiled in the bundle when its text is the one built (./precompiled.ts). */
function compile(hb: typeof Handlebars, file: string): HandlebarsTemplateDelegate {
  const source = fs.readFileSync(file, "utf8");
  const spec = precompiledSpec(PRECOMPILED, file, source);
  return spec ? hb.template(spec) : hb.compile(source, COMPILE_OPTIONS);
}

/** The precompiled spec of a template file with this source text, when built with COMPILE_OPTIONS. */
export function precompiledSpec(precompiled: PrecompiledTemplates, file: string, source: string): TemplateSpecification | undefined {
  const built = precompiled.templates[path.relative(TEMPLATES_DIR, file).split(path.sep).join("/")];
  return built && built.source === source && sameOptions(precompiled.options, COMPILE_OPTIONS as Readonly<Record<string, unknown>>) ? (built.spec as TemplateSpecification) : undefined;
}

function sameOptions(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/** Alloy syntax literal: strings as Go-style quoted strings, lists, objects with `=`. */
export function alloyValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(alloyValue).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)} = ${alloyValue(v)}`).join(", ")} }`;
  }
  throw new Error(`templates: cannot write ${typeof value} in Alloy syntax`);
}

/** Trailing spaces off, at most one blank line in a row, exactly one final newline. */
export function tidy(text: string): string {
  return `${text
    .split("\n")
    .map((l) => l.replace(/[ \t]+$/, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

/** Renders one template file with a context (exposed for tests that render a modified context). */
export function renderTemplate(file: TemplateFile, context: unknown): string {
  const { hb, templates } = hbEnvironment();
  let template = templates.get(file.absolutePath);
  if (!template) {
    template = compile(hb, file.absolutePath);
    templates.set(file.absolutePath, template);
  }
  try {
    return tidy(template(context));
  } catch (e) {
    throw new Error(`${file.source}: ${(e as Error).message}`);
  }
}

/**
 * Rendered files per settings object: synth asks for them once per service (command, config
 * delivery, checks), and settings are never changed once loaded.
 */
const rendered = new WeakMap<Settings, readonly RenderedConfig[]>();

/** Every service's config files for one environment, in a stable order. */
export function renderConfigs(settings: Settings): RenderedConfig[] {
  let configs = rendered.get(settings);
  if (!configs) {
    configs = Object.freeze(renderEach(settings).map((c) => Object.freeze(c)));
    rendered.set(settings, configs);
  }
  return [...configs];
}

/** Grafana's dashboard of a service switched off (`dashboards/<service>.json`). */
function isDashboardOfDisabled(settings: Settings, file: TemplateFile): boolean {
  const m = /^dashboards\/([a-z]+)\.json$/.exec(file.fileName);
  return file.service === "grafana" && m !== null && m[1] in settings.services && !settings.services[m[1] as ServiceName].enabled;
}

function renderEach(settings: Settings): RenderedConfig[] {
  const context = buildContext(settings);
  // A service switched off (services.<name>.enabled = false) gets no file.
  return listTemplates().filter((file) => settings.services[file.service].enabled && !isDashboardOfDisabled(settings, file)).map((file) => {
    const content = renderTemplate(file, context);
    return {
      service: file.service,
      fileName: file.fileName,
      containerPath: path.posix.join(CONFIG_DIR, file.fileName),
      content,
      sha256: sha256(content),
    };
  });
}

/**
 * Writes one environment's rendered files to `<outDir>/rendered/<env>/<service>/<fileName>`, plus a
 * `manifest.json` (service, file, container path, sha256). Atomic per environment: the files are
 * staged next to the target and swapped in whole, so a reader never sees half an environment.
 * Returns the environment's folder.
 */
export function writeRenderedConfigs(outDir: string, env: string, configs: readonly RenderedConfig[]): string {
  const root = path.join(outDir, "rendered");
  const target = path.join(root, env);
  const staging = path.join(root, `.${env}.staging-${process.pid}`);
  const old = path.join(root, `.${env}.old-${process.pid}`);
  fs.mkdirSync(root, { recursive: true });
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    for (const c of configs) {
      const file = path.join(staging, c.service, ...c.fileName.split("/"));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, c.content);
    }
    const manifest = configs.map((c) => ({ service: c.service, file: `${c.service}/${c.fileName}`, containerPath: c.containerPath, sha256: c.sha256 }));
    fs.writeFileSync(path.join(staging, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(staging, target);
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return target;
}
