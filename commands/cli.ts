/**
 * What every command of this project does the same way: one strict argument parser, one error
 * reporter and one flag vocabulary (docs/commands.md).
 *
 * Exit codes, the same in every command:
 *   2  the command line is wrong (an unknown flag, a missing --env, a bad --format value): the message
 *      and the usage;
 *   1  an error the user can fix (`UserError`): bad settings, an unknown environment (its
 *      `environments/<env>.tfvars` does not exist: a settings error, as synth and render always said
 *      it; drift and plan use 2 for "changes found", which a misspelt --env in a scheduled job must
 *      never look like), failed checks, a missing tool; one plain message, no stack;
 *   1  anything else (a bug), with the stack.
 * A command may return an exit code of its own for its result (drift: 2 drift found; plan: 2 changes,
 * 3 a guarded destroy).
 *
 * Flags: `--env <name>` the environment, `--environments <dir>` the settings folder (every command
 * that reads settings), `--out <dir|file>` where output goes, `--format text|markdown|json` what is
 * printed (plan, cost).
 *
 * This file stays light (no settings, stacks or provider imports): `--help` and usage errors must
 * answer without loading the app.
 */
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { SettingsError, UserError } from "../settings/errors";
import { unreadable } from "../settings/files";

export { UserError } from "../settings/errors";

/** The command line itself is wrong: exit 2 and show the usage. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` strictly (unknown flags and positionals are usage errors). */
export function parseCommandLine<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A command module: `commands/<name>.ts`. */
export interface Command {
  /** The command's help text, printed for --help and after a usage error. */
  readonly USAGE: string;
  /** Runs the command; the returned number is the exit code (default 0). */
  run(argv: string[]): Promise<number | void>;
}

/** Turns a command's outcome into an exit code and a message; never calls process.exit(). */
export async function report(usage: string, main: () => Promise<number | void>): Promise<number> {
  try {
    const code = await main();
    return typeof code === "number" ? code : 0;
  } catch (e: unknown) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n${usage}`);
      return 2;
    }
    if (e instanceof UserError) {
      console.error(e.message);
      return 1;
    }
    console.error(e);
    return 1;
  }
}

/**
 * Runs a command and sets the process's exit code. exitCode rather than exit(): a piped stdout may
 * still be flushing a report.
 */
export function runCommand(command: Command, argv: string[]): Promise<void> {
  return report(command.USAGE, () => command.run(argv)).then((code) => {
    process.exitCode = code;
  });
}

// ---------------------------------------------------------------------------------------------
// The shared vocabulary
// ---------------------------------------------------------------------------------------------

/** What `--format` chooses, in every command that prints a report. */
export const FORMATS = ["text", "markdown", "json"] as const;
export type Format = (typeof FORMATS)[number];

/**
 * `--format`'s value: one of FORMATS, or an older name the command still accepts (`aliases`, e.g.
 * cost's `table` for `text`), which says its new name on stderr.
 */
export function parseFormat(value: string | undefined, aliases: Readonly<Record<string, Format>> = {}): Format {
  if (value === undefined) return "text";
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  if (Object.hasOwn(aliases, value)) {
    console.error(`note: --format ${value} is now --format ${aliases[value]} (the same output; "${value}" is kept as an alias)`);
    return aliases[value];
  }
  throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${value}"`);
}

/** The `--environments <dir>` option of every command that reads settings. */
export const ENVIRONMENTS_OPTION = { environments: { type: "string" } } as const;

/** The folder `--environments` names, checked (a settings error naming the flag), or undefined for environments/. */
export function environmentsDir(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const dir = path.resolve(value);
  const why = unreadable(dir, "folder");
  if (why) throw new SettingsError([{ file: value, key: "", message: `${why} (--environments)` }]);
  return dir;
}

/** This project's flags that npm takes as its own settings when they come before `--`. */
const NPM_SWALLOWED = ["env", "environments", "out", "format", "layer", "save", "allow-destroy", "markdown", "json", "report", "plans", "cost-base", "synth"];

/**
 * `npm run <command> --env prod` (no `--`) gives npm the flags: it keeps `--env` as its own setting
 * (npm_config_env in the environment; `--format` it even reads as its own `--format-package-lock`)
 * and passes the command only the values ("prod") or nothing (`--env=prod`), so the command would
 * run on every environment or fail on a stray word. Returns the usage error that says so with the
 * command line to run, or undefined when npm passed everything on (or this is not `npm run`).
 */
export function npmSwallowedFlags(command: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): UsageError | undefined {
  if (env.npm_lifecycle_event !== command) return undefined;
  // Words that are no flag's value ("--env prod" passed whole is not a stray).
  const strays = argv.filter((a, i) => !a.startsWith("-") && !(i > 0 && argv[i - 1].startsWith("--") && !argv[i - 1].includes("=")));
  const kept: { flag: string; value?: string }[] = [];
  for (const flag of NPM_SWALLOWED) {
    const value = env[`npm_config_${flag.replace(/-/g, "_")}`];
    if (value === undefined) continue;
    // npm turns --no-synth into synth=false; --env=prod into env=prod; --env prod into env=true and a stray "prod".
    if (flag === "synth") {
      if (value === "false" || value === "") kept.push({ flag: "--no-synth", value: "" });
    } else kept.push({ flag: `--${flag}`, value: value === "true" ? undefined : value });
  }
  if (kept.length === 0 && strays.length === 0) return undefined;
  const needValues = kept.filter((k) => k.value === undefined).length;
  const passed = argv.length === 0 ? "nothing" : `only "${argv.join(" ")}"`;
  const took = kept.length > 0 ? `npm took ${kept.map((k) => k.flag).join(", ")} as its own setting${kept.length === 1 ? "" : "s"}` : "npm kept the flags";
  let line: string;
  if (needValues === strays.length) {
    // Each flag npm kept without its value: the values came through in order.
    const values = [...strays];
    const flags = kept.map((k) => (k.value === "" ? k.flag : `${k.flag} ${k.value ?? values.shift()}`));
    line = [`npm run ${command} --`, ...flags, ...argv.filter((a) => !strays.includes(a))].join(" ");
  } else {
    line = `npm run ${command} -- <each flag with its value, as you wrote them>`;
  }
  return new UsageError(`${took} (flags before "--" are npm's) and passed ${command} ${passed}; put the command's flags after "--": ${line}`);
}
