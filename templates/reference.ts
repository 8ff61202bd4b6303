/**
 * Checks rendered config files against the upstream configuration references in ../shared/upstream
 * (format: its README.md): every YAML key of Mimir, Loki, Tempo and Pyroscope must exist in
 * `<service>/<version>.keys.json` of the pinned version; every Alloy component, block and argument in
 * `alloy/<version>.components.json`; every Grafana datasource field in `grafana/provisioning.keys.json`.
 *
 * Key paths follow the reference conventions: dotted segments, `[]` for an element of a list of
 * objects, `*` for one free-form segment, `**` for a free-form subtree. Paths are matched segment by
 * segment, so a free-form key that itself contains a dot (a label name) still counts as one segment.
 * Hidden keys (accepted by the Go structs, absent from the docs) pass with a warning.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { didYouMean } from "../settings/errors";
import { referencesIn, type AlloyBlock, type AlloyFile } from "./alloy-syntax";
import { defaultUpstreamDir } from "../settings/image-versions";

/** The project root (this file lives in <root>/templates). */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** ../shared/upstream from the project root, or $LGTM_UPSTREAM_DIR (settings/image-versions.ts, which also reads it). */
export function defaultReferenceDir(): string {
  return defaultUpstreamDir();
}

/** "v1.18.1" → "1.18.1": reference files are named without the tag's "v". */
export function referenceVersion(version: string): string {
  return version.replace(/^v(?=\d)/, "");
}

export interface KeyInfo {
  readonly type?: string;
  readonly hidden?: boolean;
  readonly opaque?: boolean;
  readonly category?: string;
}

interface Node {
  /** The reference key this node stands for (undefined for an implicit intermediate node). */
  key?: string;
  info?: KeyInfo;
  readonly children: Map<string, Node>;
  /** `*` child; `*[]` is stored as `starList`. */
  star?: Node;
  starList?: Node;
  /** Segment patterns such as Grafana's `httpHeaderName<N>`. */
  readonly patterns: { re: RegExp; node: Node }[];
  /** A `**` child: anything below is accepted. */
  doubleStar?: Node;
  /** Keys below this node not yet placed in its children (`rest` is the part below it). */
  pending?: { rest: string; key: string; info: KeyInfo }[];
}

const newNode = (): Node => ({ children: new Map(), patterns: [] });

export interface KeyFinding {
  readonly severity: "error" | "warning";
  /** The key or component is unknown to this version (another release may have it). */
  readonly unknown?: boolean;
  /** Dotted path in the rendered file, e.g. `compactor.shared_store` or `datasources[].jsonData.x`. */
  readonly path: string;
  readonly message: string;
}

/** One component version's valid key paths, as a trie of segments. */
export class KeyReference {
  private readonly root = newNode();

  constructor(
    /** Shown in messages, e.g. "Tempo 3.0.3". */
    readonly title: string,
    /** Reference file relative to its folder, e.g. "tempo/3.0.3.keys.json". */
    readonly file: string,
    keys: Readonly<Record<string, KeyInfo>>,
  ) {
    // The trie is grown level by level as a check reaches it (expand): a config uses a small part of
    // the thousands of keys a reference lists.
    this.root.pending = Object.entries(keys).map(([key, info]) => ({ rest: key, key, info }));
  }

  /** Checks a parsed document (mapping at the root)  /** Checks a parsed document (mapping at the root); `at` prefixes the paths in findings. */
  check(document: unknown, at = ""): KeyFinding[] {
    const findings: KeyFinding[] = [];
    if (!isMap(document)) {
      findings.push({ severity: "error", path: at || "(root)", message: "expected a mapping of keys" });
      return findings;
    }
    for (const [k, v] of Object.entries(document)) this.visit(this.root, k, v, at, findings);
    return findings;
  }

  private visit(parent: Node, segment: string, value: unknown, at: string, findings: KeyFinding[]): void {
    const where = at ? `${at}.${segment}` : segment;
    const node = matchChild(parent, segment);
    if (!node) {
      const hint = didYouMean(segment, [...parent.children.keys()].filter((k) => !k.endsWith("[]")));
      findings.push({
        severity: "error",
        unknown: true,
        path: where,
        message: `"${where}" is not a ${this.title} configuration key${hint ? `; did you mean "${hint}"?` : ""} (reference: ${this.file})`,
      });
      return;
    }
    if (node.info?.hidden) {
      findings.push({
        severity: "warning",
        path: where,
        message: `"${where}" is accepted by ${this.title} but undocumented upstream (hidden in ${this.file}); it may change without notice`,
      });
    }
    if (node.info?.category === "deprecated") {
      findings.push({ severity: "warning", path: where, message: `"${where}" is deprecated in ${this.title} (${this.file})` });
    }
    if (node === parent.doubleStar || node.info?.opaque) return;
    if (Array.isArray(value)) {
      const list = matchChild(parent, `${segment}[]`);
      if (!list || !hasChildren(list)) return;
      for (const element of value) {
        if (!isMap(element)) continue;
        for (const [k, v] of Object.entries(element)) this.visit(list, k, v, `${where}[]`, findings);
      }
      return;
    }
    if (isMap(value) && hasChildren(node)) {
      for (const [k, v] of Object.entries(value)) this.visit(node, k, v, where, findings);
    }
  }
}

/** Places the keys pending below `node` one level down. */
function expand(node: Node): void {
  const pending = node.pending;
  if (!pending) return;
  node.pending = undefined;
  for (const { rest, key, info } of pending) {
    const dot = rest.indexOf(".");
    const child = childFor(node, dot < 0 ? rest : rest.slice(0, dot));
    if (dot < 0) {
      child.key = key;
      child.info = info;
    } else (child.pending ??= []).push({ rest: rest.slice(dot + 1), key, info });
  }
}

/** The child a reference segment stands for, made when missing. */
function childFor(node: Node, segment: string): Node {
  if (segment === "**") return (node.doubleStar ??= newNode());
  if (segment === "*") return (node.star ??= newNode());
  if (segment === "*[]") return (node.starList ??= newNode());
  if (segment.includes("<N>")) {
    const re = new RegExp(`^${segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("<N>", "[1-9][0-9]*")}$`);
    let entry = node.patterns.find((p) => p.re.source === re.source);
    if (!entry) node.patterns.push((entry = { re, node: newNode() }));
    return entry.node;
  }
  let child = node.children.get(segment);
  if (!child) node.children.set(segment, (child = newNode()));
  return child;
}

function matchChild(node: Node, segment: string): Node | undefined {
  expand(node);
  const exact = node.children.get(segment);
  if (exact) return exact;
  const pattern = node.patterns.find((p) => p.re.test(segment));
  if (pattern) return pattern.node;
  if (segment.endsWith("[]")) return node.starList ?? node.doubleStar;
  return node.star ?? node.doubleStar;
}

function hasChildren(node: Node): boolean {
  expand(node);
  return node.children.size > 0 || node.patterns.length > 0 || !!node.star || !!node.starList || !!node.doubleStar;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

// ---------------------------------------------------------------- loading

export type Loaded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly warning: string };

/** Parsed reference files, by path: every environment checks against the same ones. */
const parsedReferences = new Map<string, unknown>();

function readJson(file: string): unknown {
  let value = parsedReferences.get(file);
  if (value === undefined) {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
    parsedReferences.set(file, value);
  }
  return value;
}

const TITLES: Record<string, string> = { mimir: "Mimir", loki: "Loki", tempo: "Tempo", pyroscope: "Pyroscope", alloy: "Alloy", grafana: "Grafana" };

/** What versions a component folder has references for, for the "no reference" warning. */
function availableVersions(dir: string, component: string, suffix: string): string[] {
  const folder = path.join(dir, component);
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(suffix) && !f.includes("runtime-overrides"))
    .map((f) => f.slice(0, -suffix.length))
    .sort();
}

function missingReference(dir: string, component: string, version: string, suffix: string): string {
  const known = availableVersions(dir, component, suffix);
  return (
    `${TITLES[component]} ${version} (services.${component}.version) has no reference ${component}/${version}${suffix} in ${dir}: ` +
    `its rendered keys were NOT checked (references exist for: ${known.join(", ") || "none"}). ` +
    `Pin a version that has one, or add its reference file.`
  );
}

/** `<dir>/<component>/<version>.keys.json` as a KeyReference. */
/** Key references by file: every environment checks against the same tries, grown as they go. */
const keyReferences = new Map<string, KeyReference>();

function keyReference(file: string, title: string, rel: string): KeyReference {
  let ref = keyReferences.get(file);
  if (!ref) {
    ref = new KeyReference(title, rel, (readJson(file) as { keys: Record<string, KeyInfo> }).keys);
    keyReferences.set(file, ref);
  }
  return ref;
}

export function loadKeyReference(dir: string, component: "mimir" | "loki" | "tempo" | "pyroscope", version: string): Loaded<KeyReference> {
  const v = referenceVersion(version);
  const rel = `${component}/${v}.keys.json`;
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) return { ok: false, warning: missingReference(dir, component, v, ".keys.json") };
  return { ok: true, value: keyReference(file, `${TITLES[component]} ${v}`, rel) };
}

/**
 * `<dir>/<component>/<version>.runtime-overrides.keys.json`: the keys of the component's runtime
 * overrides file (Mimir/Loki/Pyroscope `runtime_config.file`, Tempo `per_tenant_override_config`).
 */
export function loadRuntimeOverridesReference(dir: string, component: "mimir" | "loki" | "tempo" | "pyroscope", version: string): Loaded<KeyReference> {
  const v = referenceVersion(version);
  const rel = `${component}/${v}.runtime-overrides.keys.json`;
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) return { ok: false, warning: missingReference(dir, component, v, ".runtime-overrides.keys.json") };
  return { ok: true, value: keyReference(file, `${TITLES[component]} ${v} runtime overrides`, rel) };
}

export interface AlloyComponentRef {
  readonly arguments: readonly string[];
  readonly blocks: readonly string[];
  readonly exports: readonly string[];
  readonly argument_details?: Readonly<Record<string, { required?: boolean }>>;
  readonly block_arguments?: Readonly<Record<string, Readonly<Record<string, { required?: boolean }>>>>;
  readonly block_required?: Readonly<Record<string, boolean>>;
}

export interface AlloyReference {
  readonly title: string;
  readonly file: string;
  readonly components: Readonly<Record<string, AlloyComponentRef>>;
}

export function loadAlloyReference(dir: string, version: string): Loaded<AlloyReference> {
  const v = referenceVersion(version);
  const rel = `alloy/${v}.components.json`;
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) return { ok: false, warning: missingReference(dir, "alloy", v, ".components.json") };
  const data = readJson(file) as { components: Record<string, AlloyComponentRef> };
  return { ok: true, value: { title: `Alloy ${v}`, file: rel, components: data.components } };
}

interface GrafanaProvisioningJson {
  version: string;
  provisioning_file: { top_level: Record<string, KeyInfo>; datasource_fields: Record<string, KeyInfo> };
  jsonData_common_http: Record<string, KeyInfo>;
  secureJsonData_common_http: Record<string, KeyInfo>;
  datasources: Record<string, { type_id: string; jsonData?: Record<string, KeyInfo>; secureJsonData?: Record<string, KeyInfo> }>;
}

export interface GrafanaReference {
  readonly file: string;
  /** Release era the reference covers, from its `version` field. */
  readonly era: string;
  readonly topLevel: KeyReference;
  /** Per datasource type id: the fields of one `datasources[]` element. */
  readonly datasourceTypes: ReadonlyMap<string, KeyReference>;
}

export function loadGrafanaReference(dir: string): Loaded<GrafanaReference> {
  const rel = "grafana/provisioning.keys.json";
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) return { ok: false, warning: `Grafana has no datasource reference ${rel} in ${dir}: the provisioning file's fields were NOT checked` };
  const data = readJson(file) as GrafanaProvisioningJson;
  const top = Object.fromEntries(Object.entries(data.provisioning_file.top_level).filter(([k]) => !k.startsWith("datasources")));
  const topLevel = new KeyReference("Grafana datasource provisioning", rel, { ...top, datasources: { type: "list" } });
  const types = new Map<string, KeyReference>();
  for (const ds of Object.values(data.datasources)) {
    const keys: Record<string, KeyInfo> = { ...data.provisioning_file.datasource_fields };
    for (const [k, info] of Object.entries({ ...data.jsonData_common_http, ...(ds.jsonData ?? {}) })) keys[`jsonData.${k}`] = info;
    for (const [k, info] of Object.entries({ ...data.secureJsonData_common_http, ...(ds.secureJsonData ?? {}) })) keys[`secureJsonData.${k}`] = info;
    types.set(ds.type_id, new KeyReference(`Grafana ${ds.type_id} datasource`, rel, keys));
  }
  return { ok: true, value: { file: rel, era: data.version, topLevel, datasourceTypes: types } };
}

// ---------------------------------------------------------------- Grafana datasources

export function checkGrafanaDatasources(ref: GrafanaReference, document: unknown): KeyFinding[] {
  const findings = ref.topLevel.check(document);
  const list = isMap(document) ? document.datasources : undefined;
  if (!Array.isArray(list)) return findings;
  list.forEach((ds, i) => {
    const at = `datasources[${i}]`;
    if (!isMap(ds)) {
      findings.push({ severity: "error", path: at, message: `${at} is not a mapping` });
      return;
    }
    const type = typeof ds.type === "string" ? ds.type : "";
    const typeRef = ref.datasourceTypes.get(type);
    if (!typeRef) {
      findings.push({
        severity: "warning",
        path: `${at}.type`,
        message: `datasource type "${type}" has no field reference in ${ref.file}; its jsonData was NOT checked (known: ${[...ref.datasourceTypes.keys()].join(", ")})`,
      });
      return;
    }
    findings.push(...typeRef.check(ds, at));
  });
  return findings;
}

// ---------------------------------------------------------------- Alloy

/**
 * Components exist, each has a label, every argument and nested block is documented for it, required
 * arguments and blocks are present, and every reference `<component>.<label>.<export>` names a
 * component of this file and one of its exports.
 */
export function checkAlloy(ref: AlloyReference, file: AlloyFile): KeyFinding[] {
  const findings: KeyFinding[] = [];
  const names = Object.keys(ref.components);
  const error = (where: string, message: string, unknown = false) => findings.push({ severity: "error", unknown, path: where, message });
  for (const attr of file.attributes) error(attr.name, `top-level attribute "${attr.name}" (line ${attr.line}) is not valid in a config file; only blocks are`);
  const labels = new Set<string>();
  for (const block of file.blocks) {
    const where = `${block.name}${block.label !== undefined ? ` "${block.label}"` : ""}`;
    const component = ref.components[block.name];
    if (!component) {
      const hint = didYouMean(block.name, names);
      error(where, `"${block.name}" (line ${block.line}) is not an ${ref.title} component${hint ? `; did you mean "${hint}"?` : ""} (reference: ${ref.file})`, true);
      continue;
    }
    if (block.label === undefined) error(where, `${block.name} (line ${block.line}) needs a label: ${block.name} "<label>" { ... }`);
    const id = `${block.name}.${block.label}`;
    if (labels.has(id)) error(where, `${where} is declared twice`);
    labels.add(id);
    checkAlloyBody(ref, component, block, "", where, error);
  }
  for (const block of file.blocks) {
    for (const reference of allReferences(block)) {
      const problem = resolveReference(ref, file, reference);
      if (problem) error(`${block.name} "${block.label ?? ""}"`, problem);
    }
  }
  return findings;
}

function checkAlloyBody(
  ref: AlloyReference,
  component: AlloyComponentRef,
  block: AlloyBlock,
  blockPath: string,
  where: string,
  error: (where: string, message: string, unknown?: boolean) => void,
): void {
  const allowed = blockPath === "" ? component.arguments : Object.keys(component.block_arguments?.[blockPath] ?? {});
  const details = blockPath === "" ? (component.argument_details ?? {}) : (component.block_arguments?.[blockPath] ?? {});
  const inside = blockPath === "" ? `${where}` : `${where} block "${blockPath}"`;
  for (const attr of block.attributes) {
    if (!allowed.includes(attr.name)) {
      const hint = didYouMean(attr.name, allowed);
      error(`${where}.${blockPath ? `${blockPath}.` : ""}${attr.name}`, `"${attr.name}" (line ${attr.line}) is not an argument of ${inside} in ${ref.title}${hint ? `; did you mean "${hint}"?` : ""} (reference: ${ref.file})`, true);
    }
  }
  for (const [name, d] of Object.entries(details)) {
    if (d.required && !block.attributes.some((a) => a.name === name)) error(`${where}.${blockPath ? `${blockPath}.` : ""}${name}`, `${inside} misses its required argument "${name}" (${ref.file})`);
  }
  const childPrefix = blockPath === "" ? "" : `${blockPath}.`;
  for (const child of block.blocks) {
    const childPath = `${childPrefix}${child.name}`;
    if (!component.blocks.includes(childPath)) {
      const siblings = component.blocks.filter((b) => b.startsWith(childPrefix) && !b.slice(childPrefix.length).includes(".")).map((b) => b.slice(childPrefix.length));
      const hint = didYouMean(child.name, siblings);
      error(`${where}.${childPath}`, `block "${childPath}" (line ${child.line}) is not valid in ${where} in ${ref.title}${hint ? `; did you mean "${hint}"?` : ""} (reference: ${ref.file})`, true);
      continue;
    }
    checkAlloyBody(ref, component, child, childPath, where, error);
  }
  for (const [required, isRequired] of Object.entries(component.block_required ?? {})) {
    if (!isRequired) continue;
    const parent = required.includes(".") ? required.slice(0, required.lastIndexOf(".")) : "";
    const name = required.slice(parent === "" ? 0 : parent.length + 1);
    if (parent !== blockPath) continue;
    if (!block.blocks.some((b) => b.name === name)) error(`${where}.${required}`, `${inside} misses its required block "${name}" (${ref.file})`);
  }
}

function allReferences(block: AlloyBlock): string[] {
  return [...block.attributes.flatMap((a) => referencesIn(a.value)), ...block.blocks.flatMap(allReferences)];
}

/** `prometheus.remote_write.mimir.receiver` → undefined when it names a declared component's export. */
function resolveReference(ref: AlloyReference, file: AlloyFile, reference: string): string | undefined {
  const parts = reference.split(".");
  for (let i = parts.length - 2; i >= 1; i--) {
    const name = parts.slice(0, i).join(".");
    const label = parts[i];
    const component = ref.components[name];
    if (!component) continue;
    const declared = file.blocks.find((b) => b.name === name && b.label === label);
    if (!declared) return `reference "${reference}" names ${name} "${label}", which this file does not declare`;
    const exported = parts.slice(i + 1).join(".");
    const root = exported.split(".")[0];
    if (!component.exports.includes(root)) return `reference "${reference}": ${name} exports ${component.exports.join(", ") || "nothing"}, not "${root}" (${ref.file})`;
    return undefined;
  }
  // Not a component reference (e.g. a stdlib value such as sys.env): outside this check.
  return undefined;
}
