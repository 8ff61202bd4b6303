/**
 * Types of the synth-time policy pack: a rule, what it finds, and the synthesized stacks it reads.
 * No imports, so the settings schema can name the rule ids (policy/rules.ts) without a cycle.
 */

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
 * One rule: one control of AWS Security Hub's Foundational Security Best Practices (FSBP) or the CIS
 * AWS Foundations Benchmark, checked on the synthesized JSON of every stack.
 */
export interface PolicyRule {
  /** The control id, as Security Hub names it: "ELB.1", "ECS.20". */
  readonly id: string;
  /** The control's title. */
  readonly title: string;
  /** Why it matters here, in one sentence. */
  readonly reason: string;
  /** The setting (or, when no setting can change it, the code) that fixes a violation. */
  readonly fix: string;
  /** Findings of this rule in one stack. */
  check(stack: SynthesizedStack): Finding[];
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
