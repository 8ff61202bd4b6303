/**
 * What every command of this project does the same way: one strict argument parser and one error
 * reporter. Exit codes: 2 with the usage for a bad command line, 1 with a plain message for the
 * errors a user can fix (`UserError`: bad settings, failed checks, a missing tool), 1 with the stack
 * for anything else (a bug). A command may return an exit code of its own (drift: 2 for drift found).
 *
 * This file stays light (no settings, stacks or provider imports): `--help` and usage errors must
 * answer without loading the app.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "../settings/errors";

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
