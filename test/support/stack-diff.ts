/**
 * Stacks as sets of addressed elements, for stability tests: the Terraform addresses a stack
 * declares (a changed address is a destroy + create), and a per-address comparison of two synths
 * (which resources a settings change touches).
 */
import { testingApp } from "./testing-app";
import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import type { Settings } from "../../settings";
import { buildEnvironment } from "../../stacks";
import { LAYERS, stackId, type LayerId } from "../../stacks/contract";
import type { StackJson } from "./synth";

/** Every layer of an environment, synthesized in memory from one app. */
export function synthEnvironment(settings: Settings): Record<string, StackJson> {
  const stacks = buildEnvironment(testingApp(), settings);
  return Object.fromEntries(LAYERS.map((layer: LayerId) => [stackId(settings.env, layer), JSON.parse(Testing.synth(stacks[layer], true)) as StackJson]));
}

/** Terraform addresses of what a stack manages or reads: `type.name`, `data.type.name`, `ephemeral.type.name`. */
export function addressesOf(stack: StackJson & { ephemeral?: Record<string, Record<string, unknown>> }): string[] {
  const of = (block: Record<string, Record<string, unknown>> | undefined, prefix: string) =>
    Object.entries(block ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${prefix}${type}.${name}`));
  return [...of(stack.resource, ""), ...of(stack.data, "data."), ...of(stack.ephemeral, "ephemeral.")].sort();
}

/** Drops cdktf's "//" metadata (construct paths), which is not configuration. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "//")
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, withoutMetadata(v)]),
    );
  }
  return value;
}

/**
 * A stack as address -> canonical JSON: every resource, data source, ephemeral resource and output
 * by its address, and the remaining top-level blocks (terraform, provider, locals...) by name.
 */
export function elementsOf(stack: StackJson): Map<string, string> {
  const out = new Map<string, string>();
  const s = stack as Record<string, any>;
  for (const [key, block] of Object.entries(s)) {
    if (key === "//") continue;
    if (key === "resource" || key === "data" || key === "ephemeral") {
      const prefix = key === "resource" ? "" : `${key}.`;
      for (const [type, byName] of Object.entries(block as Record<string, Record<string, unknown>>)) {
        for (const [name, config] of Object.entries(byName)) out.set(`${prefix}${type}.${name}`, JSON.stringify(withoutMetadata(config)));
      }
    } else if (key === "output") {
      for (const [name, config] of Object.entries(block as Record<string, unknown>)) out.set(`output.${name}`, JSON.stringify(withoutMetadata(config)));
    } else out.set(key, JSON.stringify(withoutMetadata(block)));
  }
  return out;
}

/** `<stack> <address>` of every element that differs (changed, added or removed) between two synths. */
export function changedElements(before: Record<string, StackJson>, after: Record<string, StackJson>): string[] {
  const changed: string[] = [];
  for (const stack of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[stack] ? elementsOf(before[stack]) : new Map<string, string>();
    const b = after[stack] ? elementsOf(after[stack]) : new Map<string, string>();
    for (const address of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      if (a.get(address) !== b.get(address)) changed.push(`${stack} ${address}`);
    }
  }
  return changed;
}

/** Every file under `root`, relative, sorted. */
export function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}
