/**
 * Types of the synth-time policy pack: a rule, what it finds, and the synthesized stacks it reads.
 * Type-only imports, so the settings schema can name the rule ids (policy/rules.ts) without a cycle.
 */
import type { Settings } from "../settings/schema";

/** A resource block of the synthesized Terraform JSON. */
export type TfBlock = Record<string, any>;

/** One synthesized stack: its id (`<env>-<layer>`) and its `cdk.tf.json`. */
export interface SynthesizedStack {
  /** Stack id, `<env>-<layer>`. */
  readonly id: string;
  /** The stack's Terraform JSON. */
  readonly json: {
    readonly resource?: Record<string, Record<string, TfBlock>>;
    readonly data?: Record<string, Record<string, TfBlock>>;
    readonly [k: string]: unknown;
  };
}

/** What a rule found wrong with one resource. */
export interface Finding {
  /** Terraform address, `aws_lb_listener.public_http`. */
  readonly address: string;
  /** Part of the resource, when the resource holds several things (a container of a task definition). */
  readonly part?: string;
  /** What exactly is wrong. */
  readonly detail: string;
}

/**
 * The environment a stack belongs to, as a rule sees it: every stack of that environment in this
 * run (a rule that needs another layer, such as the security groups' services or the repositories
 * the tasks pull from, reads it here) and, when the caller has them, its settings.
 */
export interface PolicyEnvironment {
  /** Environment name, from the settings or the stack id (`<env>-<layer>`). */
  readonly name: string;
  /** Its settings; absent when the pack runs on stacks alone (a rule then reads what the stacks say). */
  readonly settings?: Settings;
  /** Every stack of the environment in this run, the one being checked included, sorted by id. */
  readonly stacks: readonly SynthesizedStack[];
}

/** Prefix of this project's own controls, for what no Security Hub control covers: "LGTM.1". */
export const PROJECT_CONTROL_PREFIX = "LGTM";

/**
 * One rule: one control of AWS Security Hub's Foundational Security Best Practices (FSBP), or one
 * of this project's controls (`LGTM.<n>`) where FSBP has none, checked on the synthesized JSON of
 * every stack.
 */
export interface PolicyRule {
  /** The control id, as Security Hub names it ("ELB.1", "ECS.20"), or `LGTM.<n>` for a project control. */
  readonly id: string;
  /** The control's title. */
  readonly title: string;
  /** Why it matters here, in one sentence. */
  readonly reason: string;
  /** The setting (or, when no setting can change it, the code) that fixes a violation. */
  readonly fix: string;
  /** Findings of this rule in one stack; `env` is the stack's environment (other layers, settings). */
  check(stack: SynthesizedStack, env: PolicyEnvironment): Finding[];
}

/** An accepted violation: from the environment's settings or, for a few, from the code itself. */
export interface Waiver {
  readonly control: string;
  /** Why the risk is accepted; never empty. */
  readonly reason: string;
  /** Addresses (optionally `address#part`) the waiver covers. @default every finding of the control */
  readonly resources?: readonly string[];
  /** Where the waiver is written: `environments/dev.tfvars: accept_risks.waivers` or a code file. */
  readonly source: string;
}
