/**
 * References as the synthesized JSON writes them, followed across layers: a value
 * `${data.terraform_remote_state.security.outputs.task_security_group_ids.mimir}` in 60-ecs is the
 * 20-security output `task_security_group_ids`, whose `mimir` entry is
 * `${aws_security_group.mimir_sg.id}`. The remote state's `key` (`<env>/<layer>/terraform.tfstate`)
 * names the stack; a rule then knows which security group a service runs in, or which repository a
 * task pulls from, without any naming convention.
 */
import type { PolicyEnvironment, SynthesizedStack } from "./types";

/** A resource a value points at: `${aws_s3_bucket.b.arn}` → stack + "aws_s3_bucket.b" + "arn". */
export interface Target {
  readonly stack: string;
  readonly address: string;
  readonly attribute: string;
}

const REMOTE = /^\$\{data\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+|\["[^"]*"\])*)\}$/;
const RESOURCE = /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z_]+)\}$/;

/** The stack a remote-state data source reads, by its state key `<env>/<layer>/terraform.tfstate`. */
function remoteStack(env: PolicyEnvironment, from: SynthesizedStack, source: string): SynthesizedStack | undefined {
  const config = (from.json.data?.terraform_remote_state?.[source] as { config?: { key?: unknown } } | undefined)?.config;
  const key = typeof config?.key === "string" ? config.key : undefined;
  // stacks/contract.ts stateKey(): `<env>/<layer>/terraform.tfstate` (read from the end, so a key prefix would not matter).
  const m = key ? /(?:^|\/)([^/]+)\/([^/]+)\/terraform\.tfstate$/.exec(key) : undefined;
  return m ? env.stacks.find((s) => s.id === `${m[1]}-${m[2]}`) : undefined;
}

/**
 * What a value finally is: a literal (returned as is, with the stack it was found in), or the
 * resource attribute a reference names, following remote-state outputs across the environment.
 */
export function resolve(env: PolicyEnvironment, stack: SynthesizedStack, value: unknown, depth = 0): { stack: SynthesizedStack; value: unknown } {
  if (typeof value !== "string" || depth > 5) return { stack, value };
  const m = REMOTE.exec(value);
  if (!m) return { stack, value };
  const other = remoteStack(env, stack, m[1]);
  const output = (other?.json.output as Record<string, { value?: unknown }> | undefined)?.[m[2]];
  if (!other || !output) return { stack, value };
  let v: unknown = output.value;
  for (const part of m[3].matchAll(/\.([A-Za-z0-9_-]+)|\["([^"]*)"\]/g)) {
    const k = part[1] ?? part[2];
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  }
  return resolve(env, other, v, depth + 1);
}

/** The resource a value refers to, after following remote state, or undefined for a literal. */
export function targetOf(env: PolicyEnvironment, stack: SynthesizedStack, value: unknown): Target | undefined {
  const r = resolve(env, stack, value);
  const m = typeof r.value === "string" ? RESOURCE.exec(r.value) : null;
  return m ? { stack: r.stack.id, address: m[1], attribute: m[2] } : undefined;
}

/** `stack:address`, a key that is unique across the environment. */
export const keyOf = (t: { readonly stack: string; readonly address: string }) => `${t.stack}:${t.address}`;
