import { beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../settings";
import { LAYER_OUTPUTS } from "../stacks/contract";
import { settingsWith, shipped } from "./support/settings";
import { resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

const CERT = "arn:aws:acm:ap-northeast-2:111111111111:certificate/abc";

describe("GIVEN prod settings (no certificate)", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "50-loadbalancer");
  });

  it("WHEN synthesized THEN the ALB is lgtm-prod-alb, internet-facing, in the public subnets with the ALB security group", () => {
    const alb = resourceOf(stack, "aws_lb");
    expect(alb.name).toBe("lgtm-prod-alb");
    expect(alb.internal).toBe(false);
    expect(alb.load_balancer_type).toBe("application");
    expect(alb.subnets).toBe("${data.terraform_remote_state.network.outputs.public_subnet_ids}");
    expect(alb.security_groups).toEqual(["${data.terraform_remote_state.security.outputs.alb_security_group_id}"]);
  });

  it("WHEN synthesized THEN invalid headers are dropped and deletion protection and idle timeout follow load_balancer", () => {
    const alb = resourceOf(stack, "aws_lb");
    expect(alb.drop_invalid_header_fields).toBe(true);
    expect(alb.enable_deletion_protection).toBe(s.load_balancer.deletion_protection);
    expect(alb.enable_deletion_protection).toBe(true);
    expect(alb.idle_timeout).toBe(s.load_balancer.idle_timeout_seconds);
  });

  it("WHEN synthesized THEN port 80 is the only listener, it serves, and unmatched paths get a fixed 404", () => {
    const listeners = Object.values(resourcesOf(stack, "aws_lb_listener"));
    expect(listeners).toHaveLength(1);
    const [http] = listeners;
    expect([http.port, http.protocol]).toEqual([80, "HTTP"]);
    expect(http.default_action).toEqual([
      { type: "fixed-response", fixed_response: { content_type: "text/plain", status_code: "404", message_body: "Not found" } },
    ]);
    expect(stack.output?.listener_arn.value).toBe("${aws_lb_listener.public_http.arn}");
  });

  it("WHEN synthesized THEN the Cloud Map namespace lgtm.local is in the VPC of 10-network", () => {
    const ns = resourceOf(stack, "aws_service_discovery_private_dns_namespace");
    expect(ns.name).toBe("lgtm.local");
    expect(ns.vpc).toBe("${data.terraform_remote_state.network.outputs.vpc_id}");
    expect(stack.output?.cloud_map_namespace_name.value).toBe("${aws_service_discovery_private_dns_namespace.namespace.name}");
  });

  it("WHEN synthesized THEN every output of the 50-loadbalancer contract is published", () => {
    expect(Object.keys(stack.output ?? {}).sort()).toEqual(Object.keys(LAYER_OUTPUTS["50-loadbalancer"]).sort());
  });

  it("WHEN synthesized THEN it reads only 10-network and 20-security", () => {
    expect(Object.keys(stack.data?.terraform_remote_state ?? {}).sort()).toEqual(["network", "security"]);
  });

  it("WHEN synthesized THEN the stack matches its snapshot", () => {
    expect(stack).toMatchSnapshot();
  });
});

describe("GIVEN prod settings with a certificate", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ load_balancer: { certificate_arn: CERT } }), "50-loadbalancer");
  });

  it("WHEN synthesized THEN 443 serves HTTPS with the certificate and the settings' TLS policy", () => {
    const https = resourceOf(stack, "aws_lb_listener", "https");
    expect([https.port, https.protocol, https.certificate_arn]).toEqual([443, "HTTPS", CERT]);
    expect(https.ssl_policy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    expect(https.default_action[0].fixed_response.status_code).toBe("404");
  });

  it("WHEN synthesized THEN 80 only redirects to 443, and the serving listener is 443", () => {
    const http = resourcesOf(stack, "aws_lb_listener").public_http;
    expect(http.default_action).toEqual([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }]);
    expect(stack.output?.listener_arn.value).toBe("${aws_lb_listener.public_https.arn}");
  });
});

describe("GIVEN dev settings", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await shipped("dev"), "50-loadbalancer");
  });

  it("WHEN synthesized THEN the ALB is lgtm-dev-alb without deletion protection", () => {
    const alb = resourceOf(stack, "aws_lb");
    expect(alb.name).toBe("lgtm-dev-alb");
    expect(alb.enable_deletion_protection).toBe(false);
  });

  it("WHEN synthesized THEN the stack matches its snapshot", () => {
    expect(stack).toMatchSnapshot();
  });
});
