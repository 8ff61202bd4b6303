/**
 * Test settings: the shipped environments, or one of them with changes, loaded through the real
 * loader (HCL parse, merge, schema, checks) from a temporary copy of environments/.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "@cdktf/hcl2json";
import { DEFAULT_ENVIRONMENTS_DIR, loadSettings, type Settings, type SettingsProblem } from "../../settings";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** Values to merge into a settings file; `undefined` at any depth deletes that key. */
export type Override = { [k: string]: Json | Override | undefined };

/** A temporary project root with an environments/ folder; removed by `cleanup`. */
export function tempEnvironments(files: Record<string, string>): { root: string; dir: string; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lgtm-settings-"));
  const dir = path.join(root, "environments");
  fs.mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { root, dir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export function shippedFile(name: string): string {
  return fs.readFileSync(path.join(DEFAULT_ENVIRONMENTS_DIR, name), "utf8");
}

/** Deep-merges `override` into `base`; an `undefined` value deletes the key. */
export function merge(base: { [k: string]: Json }, override: Override): { [k: string]: Json } {
  const out: { [k: string]: Json } = structuredClone(base);
  for (const [k, v] of Object.entries(override)) {
    if (v === undefined) delete out[k];
    else if (v && typeof v === "object" && !Array.isArray(v) && out[k] && typeof out[k] === "object" && !Array.isArray(out[k])) {
      out[k] = merge(out[k] as { [k: string]: Json }, v as Override);
    } else out[k] = v as Json;
  }
  return out;
}

/** HCL accepts JSON values on the right of `=`, so any settings object can be written back. */
export function toTfvars(values: { [k: string]: Json }): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} = ${JSON.stringify(v, null, 2)}`)
    .join("\n");
}

/** The env file `env` of the shipped settings with `override` merged into it. */
export async function envFileWith(env: string, override: Override): Promise<string> {
  const parsed = (await parse(`${env}.tfvars`, shippedFile(`${env}.tfvars`))) as { [k: string]: Json };
  return toTfvars(merge(parsed, override));
}

/**
 * Loads environment `env` (default prod) with `override` merged into its env file. Errors name
 * `environments/<env>.tfvars` as they would in the real project.
 */
export async function settingsWith(override: Override = {}, env = "prod"): Promise<Settings> {
  const t = tempEnvironments({ "common.tfvars": shippedFile("common.tfvars"), [`${env}.tfvars`]: await envFileWith(env, override) });
  try {
    return await loadSettings(env, { environmentsDir: t.dir, displayRoot: t.root });
  } finally {
    t.cleanup();
  }
}

/** Loads raw files (common.tfvars and `<env>.tfvars` texts) and returns the error message, or "". */
export async function loadError(files: Record<string, string>, env = "prod"): Promise<string> {
  const t = tempEnvironments(files);
  try {
    await loadSettings(env, { environmentsDir: t.dir, displayRoot: t.root });
    return "";
  } catch (e) {
    return (e as Error).message;
  } finally {
    t.cleanup();
  }
}

/** The error message of loading `env` with `override`, or "" when it loads. */
export async function overrideError(override: Override, env = "prod"): Promise<string> {
  try {
    await settingsWith(override, env);
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

export const shipped = (env: string) => loadSettings(env);

/** The shipped file `name` (common.tfvars or <env>.tfvars) with `override` merged into it. */
export async function fileWith(name: string, override: Override): Promise<string> {
  const parsed = (await parse(name, shippedFile(name))) as { [k: string]: Json };
  return toTfvars(merge(parsed, override));
}

/**
 * Loads `env` with overrides of both files (an `undefined` value deletes a key, e.g. a size the load
 * block should derive) and collects the warnings instead of printing them.
 */
export async function loadWithWarnings(
  overrides: { common?: Override; env?: Override },
  env = "prod",
): Promise<{ settings?: Settings; warnings: SettingsProblem[]; error: string }> {
  const t = tempEnvironments({
    "common.tfvars": await fileWith("common.tfvars", overrides.common ?? {}),
    [`${env}.tfvars`]: await fileWith(`${env}.tfvars`, overrides.env ?? {}),
  });
  const warnings: SettingsProblem[] = [];
  try {
    const settings = await loadSettings(env, { environmentsDir: t.dir, displayRoot: t.root, onWarning: (w) => warnings.push(w) });
    return { settings, warnings, error: "" };
  } catch (e) {
    return { warnings, error: (e as Error).message };
  } finally {
    t.cleanup();
  }
}

/**
 * The documented example load (docs/cost.md): 1M active series scraped every 15 s,
 * 50 GB/day of logs, 5,000 spans/s (of 1,000 bytes, the default), 10 metric queries/s (the default).
 */
export const EXAMPLE_LOAD = { active_series: 1_000_000, scrape_interval_seconds: 15, logs_gb_per_day: 50, spans_per_second: 5000 };
