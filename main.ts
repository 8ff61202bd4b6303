/**
 * lgtm-fargate's entry point, bundled into .build/lgtm.cjs and run by bin/lgtm.cjs (`npm run <command>`
 * and the cdktf CLI, cdktf.json: `node bin/lgtm.cjs synth`); `tsx main.ts <command>` still works.
 * Nothing imports this file; the commands live in commands/.
 */
import { didYouMean } from "./settings/errors";
import { npmSwallowedFlags, parseCommandLine, runCommand, UsageError } from "./commands/cli";
import { COMMANDS } from "./commands";

const USAGE = `usage: npm run <command> -- [options]     (or: node bin/lgtm.cjs <command> [options])
commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join("\n")}
  <command> --help for its options`;

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(USAGE);
    if (name === undefined) process.exitCode = 2;
    return;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const hint = didYouMean(name, Object.keys(COMMANDS));
    console.error(`${new UsageError(`unknown command "${name}"${hint ? `; did you mean "${hint}"?` : ""}`).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  // `npm run synth --env prod` without "--": npm kept the flags; say the command line that works.
  const swallowed = npmSwallowedFlags(name, rest);
  if (swallowed) {
    console.error(swallowed.message);
    process.exitCode = 2;
    return;
  }
  if (entry.usage) {
    // --help and a bad command line are answered without loading the command.
    const line = await entry.usage();
    try {
      if (parseCommandLine(rest, line.OPTIONS).help) {
        console.log(line.USAGE);
        return;
      }
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      console.error(`${e.message}\n${line.USAGE}`);
      process.exitCode = 2;
      return;
    }
  }
  await runCommand(await entry.load(), rest);
}

void main(process.argv.slice(2));
