/**
 * The user-facing commands, by name. Each is loaded only when it runs, so `--help` and a mistyped
 * command answer without loading the app.
 *
 *   npm run synth    Terraform JSON of every layer stack (+ rendered configs)   commands/synth.ts
 *   npm run render   the services' rendered config files                          commands/render.ts
 *   npm run drift    read-only plan of every layer against its state             commands/drift.ts
 */
import type { Command } from "./cli";

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  synth: { summary: "synthesize every layer stack of the selected environments", load: () => import("./synth") },
  render: { summary: "render the services' config files", load: () => import("./render") },
  drift: { summary: "plan every layer read-only against its state and report drift", load: () => import("./drift") },
};
