/**
 * Synthesizes one layer stack of an environment in memory (cdktf Testing) and returns its
 * Terraform JSON, with helpers to find resources by type.
 */
import { Testing } from "cdktf";
import type { Settings } from "../../settings";
import { buildEnvironment } from "../../stacks";
import type { LayerId } from "../../stacks/contract";

export interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; description?: string }>;
  terraform?: Record<string, unknown>;
  provider?: Record<string, unknown[]>;
  locals?: Record<string, unknown>;
}

export function synthLayer(settings: Settings, layer: LayerId): StackJson {
  const app = Testing.app();
  const stacks = buildEnvironment(app, settings);
  return JSON.parse(Testing.synth(stacks[layer], true)) as StackJson;
}

/** All resources of a type, by logical name. */
export function resourcesOf(stack: StackJson, type: string): Record<string, Record<string, any>> {
  return (stack.resource?.[type] ?? {}) as Record<string, Record<string, any>>;
}

/** The single resource of a type whose logical name contains `nameContains`. */
export function resourceOf(stack: StackJson, type: string, nameContains = ""): Record<string, any> {
  const matches = Object.entries(resourcesOf(stack, type)).filter(([k]) => k.includes(nameContains));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} matching "${nameContains}", found ${matches.map(([k]) => k).join(", ") || "none"}`);
  }
  return matches[0][1];
}

/** Synthesizes the given environments (default: all) into `outdir`, as `npm run synth` does. */
export async function synthToDisk(outdir: string, envs?: readonly string[]): Promise<string[]> {
  const { App } = await import("cdktf");
  const { buildApp, loadEnvironments } = await import("../../commands/synth");
  buildApp(new App({ outdir }), await loadEnvironments(envs)).synth();
  return stackDirs(outdir);
}

/** The stack folders of a synth output, sorted. */
export function stackDirs(outdir: string): string[] {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const root = path.join(outdir, "stacks");
  return fs.readdirSync(root).sort().map((d: string) => path.join(root, d));
}
