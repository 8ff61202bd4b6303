/**
 * `services.<name>.enabled` and `desired_count = 0` (settings/enabled.ts): a component the stack
 * needs is refused with what depends on it; `desired_count = 0` alone is refused pointing to
 * `enabled`; the refusals name the file and the key.
 */
import { describe, expect, it } from "vitest";
import { SERVICE_NAMES } from "../settings";
import { REQUIRED_BECAUSE } from "../settings/enabled";
import { overrideError, settingsWith } from "./support/settings";

describe("GIVEN the shipped prod settings", () => {
  it("WHEN nothing says enabled THEN every component is on", async () => {
    const s = await settingsWith({});
    for (const n of SERVICE_NAMES) expect(s.services[n].enabled, n).toBe(true);
  });

  it.each(Object.keys(REQUIRED_BECAUSE))("WHEN %s is switched off THEN loading refuses it naming the file, the key and what depends on it", async (name) => {
    const message = await overrideError({ services: { [name]: { enabled: false } } });
    expect(message).toContain(`environments/prod.tfvars: services.${name}.enabled: ${name} cannot be switched off: ${REQUIRED_BECAUSE[name as "mimir"]}; expected true (or remove the key)`);
  });

  it.each(Object.keys(REQUIRED_BECAUSE))("WHEN %s runs 0 tasks THEN loading refuses desired_count = 0 saying the stack needs it", async (name) => {
    const message = await overrideError({ services: { [name]: { desired_count: 0 } } });
    expect(message).toContain(`environments/prod.tfvars: services.${name}.desired_count: 0 tasks would stop ${name}, which the stack needs: ${REQUIRED_BECAUSE[name as "mimir"]}; expected 1 or more`);
  });

  it("WHEN enabled is not a boolean THEN loading says so", async () => {
    expect(await overrideError({ services: { loki: { enabled: "no" } } })).toContain(`environments/prod.tfvars: services.loki.enabled: expected true or false, got "no"`);
  });
});
