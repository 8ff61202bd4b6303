/**
 * lgtm-fargate's entry point: `tsx main.ts <command> [options]`, run by `npm run <command>` and by
 * the cdktf CLI (cdktf.json: `main.ts synth`). Nothing imports this file; the commands live in
 * commands/.
 */
import { didYouMean } from "./settings/errors";
import { runCommand, UsageError } from "./commands/cli";
import { COMMANDS } from "./commands";

const USAGE = `usage: npm run <command> -- [options]     (or: tsx main.ts <command> [options])
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
  await runCommand(await entry.load(), rest);
}

void main(process.argv.slice(2));
