/**
 * The user-facing commands, by name. Each is loaded only when it runs, so `--help` and a mistyped
 * command answer without loading the app.
 *
 *   npm run synth    Terraform JSON of every layer stack (+ rendered configs)   commands/synth.ts
 *   npm run render   the services' rendered config files                          commands/render.ts
 *   npm run drift    read-only plan of every layer against its state             commands/drift.ts
 *   npm run plan     the review of every layer's plan, destroy guard, saved plans  commands/plan.ts
 *   npm run apply    applies saved, reviewed plans (and nothing else)              commands/apply.ts
 *   npm run cost     monthly cost estimate per service, piece and layer          commands/cost.ts
 *   npm run pin-images  resolve image tags to digests into <env>.tfvars         commands/pin-images.ts
 */
import type { Command } from "./cli";

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
  /**
   * The command's USAGE and parseArgs OPTIONS in a module that loads nothing heavy: main.ts then
   * answers --help and usage errors from it, without loading the command. Optional.
   */
  readonly usage?: () => Promise<CommandLine>;
}

/** A command's command line, apart from the command (see commands/synth-usage.ts). */
export interface CommandLine {
  readonly USAGE: string;
  readonly OPTIONS: NonNullable<import("node:util").ParseArgsConfig["options"]>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  synth: { summary: "synthesize every layer stack of the selected environments", load: () => import("./synth"), usage: () => import("./synth-usage") },
  render: { summary: "render the services' config files", load: () => import("./render") },
  plan: { summary: "plan every layer for review (destroy guard, --save for apply)", load: () => import("./plan") },
  apply: { summary: "apply the plans `plan --save` kept, if the synth is unchanged", load: () => import("./apply") },
  drift: { summary: "plan every layer read-only against its state and report drift", load: () => import("./drift") },
  cost: { summary: "estimate the monthly cost of one environment", load: () => import("./cost") },
  "pin-images": { summary: "resolve every image tag to its digest and write the digests into <env>.tfvars", load: () => import("./pin-images") },
};
