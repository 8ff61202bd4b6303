import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

/**
 * `npm run test:emulator`: every layer of dev and prod applied, re-planned, drift-checked and
 * destroyed on the AWS API emulator (moto over TLS), and `cdktf deploy` of single layers through the
 * real cdktf CLI (test/emulator/, docs/emulator-apply.md). Kept out of `npm test` for its length
 * (about 10 minutes, mostly the AWS provider's own waiters); .ci/run runs it after `npm test`.
 * The base config's test options, with this include and no exclusion of test/emulator/ (vite's
 * mergeConfig would concatenate both lists).
 */
export default defineConfig({ ...base, test: { ...base.test, include: ["test/emulator/**/*.test.ts"], exclude: ["**/node_modules/**"] } });
