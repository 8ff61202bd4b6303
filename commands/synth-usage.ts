/**
 * The synth command's command line, apart from the command itself (commands/synth.ts loads the
 * whole app): main.ts checks a command line against it and answers --help and usage errors
 * without loading anything else (commands/index.ts `usage`).
 */
export const USAGE = `usage: npm run synth [-- --env <name> ...] [--out <dir>] [--environments <dir>] [--verbose]
  --env <name>          synthesize only this environment (repeatable; default: every environments/*.tfvars)
  --out <dir>           output folder (default: cdktf.out)
  --environments <dir>  folder of common.tfvars and <env>.tfvars (default: environments/)
  --verbose             also every policy waiver with its reason, and the notes about the upstream references
                        (default: one line per environment, then each warning once)
  LGTM_ENV=a,b          the same filter, for runs through the cdktf CLI`;

export const OPTIONS = {
  env: { type: "string", multiple: true },
  out: { type: "string" },
  environments: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;
