/**
 * What every command of this project (synth, render, drift) does the same way: strict argument
 * parsing, and exit codes — 2 with the usage for a bad command line, 1 with a plain message for the
 * errors a user can fix (bad settings, failed checks), 1 with the stack for anything else.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

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

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs a command's main function and turns its outcome into an exit code. `main` may return an
 * exit code of its own (drift: 2 for drift found). `reported` are the error classes whose message
 * alone tells the user what to fix.
 */
export function runCommand(usage: string, main: () => Promise<number | void>, reported: readonly ErrorClass[]): void {
  main().then(
    (code) => {
      if (typeof code === "number") process.exitCode = code;
    },
    (e: unknown) => {
      if (e instanceof UsageError) {
        console.error(`${e.message}\n${usage}`);
        process.exitCode = 2;
      } else if (reported.some((c) => e instanceof c)) {
        console.error((e as Error).message);
        process.exitCode = 1;
      } else {
        console.error(e);
        process.exitCode = 1;
      }
    },
  );
}
