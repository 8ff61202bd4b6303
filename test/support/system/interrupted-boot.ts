/**
 * A system-tier boot that is interrupted: run as its own process (`node -r ts-node/register/transpile-only <this file>`)
 * by test/system/cleanup.test.ts, which signals or kills it mid-boot and then checks that the tier
 * left nothing behind.
 *
 * It starts the stack as the tier does (network, DNS, S3, the prod task definitions), the cache
 * and gateway tasks, and one Mimir task that it does not wait for (Mimir is still starting when the
 * signal comes), then prints one line, `BOOTING <json>`, with what the run's ledger records and the
 * pids running in each task namespace, and waits to be stopped. It never closes the stack itself.
 */
import { spawnSync } from "node:child_process";
import { startSystemStack } from "./stack";

async function main(): Promise<void> {
  const stack = await startSystemStack();
  await stack.cluster.startTask(stack.specs.memcached);
  const gateway = await stack.cluster.startTask(stack.specs.gateway);
  await gateway.waitReady(15_000);
  await stack.cluster.startTask(stack.specs.mimir);
  const record = stack.ledger.snapshot();
  const pids = record.namespaces.flatMap((ns) =>
    spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" })
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map(Number),
  );
  process.stdout.write(`BOOTING ${JSON.stringify({ record, ledger: stack.ledger.file, pids, gateway: stack.network.gateway })}\n`);
  // Waits for the signal; the timer keeps the process alive for at most two minutes.
  setTimeout(() => process.exit(3), 120_000);
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(2);
});
