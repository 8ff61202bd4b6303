/**
 * Waivers written in code, not in settings: findings that follow from how this project is built,
 * the same in every environment, each with the reason a reviewer needs. They are printed in the
 * synth summary like the settings' waivers (`accept_risks.waivers`).
 */
import { SERVICE_NAMES } from "../settings/components";
import type { Waiver } from "./types";

const SOURCE = "policy/code-waivers.ts";

export const CODE_WAIVERS: readonly Waiver[] = [
  {
    control: "SecretsManager.1",
    resources: ["aws_secretsmanager_secret.grafana_admin_password_secret"],
    reason:
      "Grafana reads GF_SECURITY_ADMIN_PASSWORD only when it first creates the admin user; a rotated secret would no longer match the password stored in Grafana's database and lock the admin out. Rotate by hand as docs/operating.md, \"Rotating the Grafana admin password\", describes",
    source: SOURCE,
  },
  {
    control: "ECS.20",
    resources: SERVICE_NAMES.map((n) => `aws_ecs_task_definition.${n}_task_definition#config-owner`),
    reason:
      "the owner step of config delivery (modules/config-delivery) only chowns the task-scoped volumes, which Fargate creates owned by root, to the config writer and the main container's user; only root can. It runs a fixed two-line script with every Linux capability dropped but CHOWN, no environment, no ports, no task secrets and a read-only root filesystem, then exits. The config files themselves are written by a non-root container",
    source: SOURCE,
  },
  {
    control: "SecretsManager.1",
    resources: ["aws_secretsmanager_secret.gateway_*_secret"],
    reason:
      "each tenant's gateway password is held by that tenant's senders (Alloy, agents, CI jobs outside the stack); an automatic rotation would cut them all off until each is reconfigured. Rotate per tenant by hand: put a new value, let the gateway tasks restart, then update the senders (docs/operating.md, \"Rotating a tenant's gateway password\")",
    source: SOURCE,
  },
  {
    control: "S3.9",
    resources: ["aws_s3_bucket.audit_logs_bucket"],
    reason: "the log bucket is the access logs' destination; logging it into itself would log its own log deliveries without end (AWS advises against it)",
    source: SOURCE,
  },
];
