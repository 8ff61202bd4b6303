/**
 * Mutation tests of the policy pack: prod's stacks synthesized once per test worker, then for each
 * test a deep copy broken one way (`brokenProd(mutator)`) and the pack run on it with prod's
 * settings, as synth runs it. A rule earns its place by catching the break it exists for.
 */
import { evaluatePolicy, type PolicyReport, type SynthesizedStack, type TfBlock } from "../../policy";
import type { Settings } from "../../settings";
import { synthesizedStacks } from "./policy";
import { shipped } from "./settings";

let prod: Promise<{ settings: Settings; stacks: SynthesizedStack[] }> | undefined;

/** Prod's settings and its seven stacks, synthesized on first use. */
export function prodStacks(): Promise<{ settings: Settings; stacks: SynthesizedStack[] }> {
  prod ??= shipped("prod").then((settings) => ({ settings, stacks: synthesizedStacks(settings) }));
  return prod;
}

/** A deep copy of prod's stacks to break, with accessors by layer. */
export class ProdCopy {
  constructor(readonly stacks: SynthesizedStack[]) {}

  /** The resources of one layer (`"30-storage"`), by type, then name; edit them in place. */
  layer(layer: string): Record<string, Record<string, TfBlock>> {
    const stack = this.stacks.find((s) => s.id === `prod-${layer}`);
    if (!stack) throw new Error(`no stack prod-${layer}`);
    return ((stack.json as { resource: Record<string, Record<string, TfBlock>> }).resource ??= {});
  }

  /** One resource, which must exist. */
  resource(layer: string, type: string, name: string): TfBlock {
    const r = this.layer(layer)[type]?.[name];
    if (!r) throw new Error(`prod-${layer} has no ${type}.${name}`);
    return r;
  }

  /** Adds (or replaces) a resource. */
  add(layer: string, type: string, name: string, block: TfBlock): void {
    (this.layer(layer)[type] ??= {})[name] = block;
  }

  /** Removes a resource, which must exist. */
  remove(layer: string, type: string, name: string): void {
    this.resource(layer, type, name);
    delete this.layer(layer)[type][name];
  }

  /** Edits one container of a service's task definition (`mimir`, `config` for its init container). */
  container(service: string, name: string, edit: (c: TfBlock) => void): void {
    const task = this.resource("60-ecs", "aws_ecs_task_definition", `${service}_task_definition`);
    const list = JSON.parse(task.container_definitions) as TfBlock[];
    const c = list.find((x) => x.name === name);
    if (!c) throw new Error(`${service}'s task has no container ${name}`);
    edit(c);
    task.container_definitions = JSON.stringify(list);
  }

  /** Appends a statement to an IAM or bucket policy, in the policy's own form (JSON or jsonencode()). */
  addStatement(layer: string, type: string, name: string, statement: Record<string, unknown>, hcl?: string): void {
    const p = this.resource(layer, type, name);
    if (p.policy.startsWith("${jsonencode(")) {
      if (!hcl) throw new Error(`${type}.${name} is a jsonencode() policy: give the statement in HCL`);
      if (!p.policy.endsWith("]})}")) throw new Error(`${type}.${name}: unexpected jsonencode() shape`);
      p.policy = `${p.policy.slice(0, -"]})}".length)}, ${hcl}]})}`;
    } else {
      const doc = JSON.parse(p.policy);
      doc.Statement = [...[doc.Statement].flat(), statement];
      p.policy = JSON.stringify(doc);
    }
  }
}

/** Runs the pack on a broken copy of prod's stacks, with prod's settings (and its waivers). */
export async function brokenProd(mutate: (prod: ProdCopy) => void): Promise<PolicyReport> {
  const { settings, stacks } = await prodStacks();
  const copy = new ProdCopy(structuredClone(stacks));
  mutate(copy);
  return evaluatePolicy(copy.stacks, [settings]);
}

/** The control ids a report's violations name, each once, sorted. */
export const violatedControls = (report: PolicyReport) => [...new Set(report.violations.map((v) => v.rule.id))].sort();
