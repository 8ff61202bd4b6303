import { beforeAll, describe, expect, it } from "vitest";
import type { Settings } from "../settings";
import { LAYER_OUTPUTS } from "../stacks/contract";
import { settingsWith, shipped } from "./support/settings";
import { inventoryOf, resourceOf, resourcesOf, synthLayer, type StackJson } from "./support/synth";

const CERT = "arn:aws:acm:ap-northeast-2:111111111111:certificate/abc";

describe("GIVEN prod settings without TLS (no domain, no certificate)", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await settingsWith({ load_balancer: { domain: undefined } });
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

});

describe("GIVEN the shipped prod settings (load_balancer.domain)", () => {
  let s: Settings;
  let stack: StackJson;
  beforeAll(async () => {
    s = await shipped("prod");
    stack = synthLayer(s, "50-loadbalancer");
  });

  it("WHEN synthesized THEN ACM issues a certificate for the name, validated by a CNAME in the zone", () => {
    const { name, zone_id } = s.load_balancer.domain!;
    const cert = resourceOf(stack, "aws_acm_certificate");
    expect(cert).toMatchObject({ domain_name: name, validation_method: "DNS", lifecycle: { create_before_destroy: true } });
    const record = resourcesOf(stack, "aws_route53_record").tls_validation_record;
    expect(record).toMatchObject({
      zone_id,
      name: "${tolist(aws_acm_certificate.tls_certificate.domain_validation_options).0.resource_record_name}",
      type: "${tolist(aws_acm_certificate.tls_certificate.domain_validation_options).0.resource_record_type}",
      records: ["${tolist(aws_acm_certificate.tls_certificate.domain_validation_options).0.resource_record_value}"],
    });
    expect(resourceOf(stack, "aws_acm_certificate_validation").validation_record_fqdns).toEqual(["${aws_route53_record.tls_validation_record.fqdn}"]);
  });

  it("WHEN synthesized THEN 443 serves the validated certificate with a TLS 1.3 policy and 80 only redirects", () => {
    const listeners = resourcesOf(stack, "aws_lb_listener");
    expect(listeners.public_https).toMatchObject({
      port: 443,
      protocol: "HTTPS",
      certificate_arn: "${aws_acm_certificate_validation.tls_validation.certificate_arn}",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(listeners.public_http.default_action).toEqual([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" } }]);
    expect(stack.output?.listener_arn.value).toBe("${aws_lb_listener.public_https.arn}");
  });

  it("WHEN Grafana's environment is derived THEN its root_url is the domain over https and its cookies are secure; dev (no TLS) sets neither", async () => {
    const { serviceEnvironment } = await import("../templates");
    expect(serviceEnvironment(s, "grafana")).toMatchObject({ GF_SERVER_ROOT_URL: `https://${s.load_balancer.domain!.name}/`, GF_SECURITY_COOKIE_SECURE: "true" });
    const dev = serviceEnvironment(await shipped("dev"), "grafana");
    expect(dev.GF_SERVER_ROOT_URL).toBeUndefined();
    expect(dev.GF_SECURITY_COOKIE_SECURE).toBeUndefined();
  });

  it("WHEN synthesized THEN the name is an alias A record of the ALB in the zone", () => {
    expect(resourcesOf(stack, "aws_route53_record").alias).toMatchObject({
      zone_id: s.load_balancer.domain!.zone_id,
      name: s.load_balancer.domain!.name,
      type: "A",
      alias: { name: "${aws_lb.public_alb.dns_name}", zone_id: "${aws_lb.public_alb.zone_id}", evaluate_target_health: true },
    });
  });

  it("WHEN synthesized THEN it holds the ALB, its two listeners, the certificate with its validation, the alias and validation records, the namespace and the web ACL with its association, log group and logging, and nothing else", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_acm_certificate": 1,
      "aws_acm_certificate_validation": 1,
      "aws_cloudwatch_log_group": 1,
      "aws_lb": 1,
      "aws_lb_listener": 2,
      "aws_route53_record": 2,
      "aws_service_discovery_private_dns_namespace": 1,
      "aws_wafv2_web_acl": 1,
      "aws_wafv2_web_acl_association": 1,
      "aws_wafv2_web_acl_logging_configuration": 1,
      "data.terraform_remote_state": 2,
    });
  });
});

describe("GIVEN a domain and a certificate_arn", () => {
  it("WHEN synthesized THEN the given certificate is served, none is requested, and the alias is still made", async () => {
    const stack = synthLayer(await settingsWith({ load_balancer: { certificate_arn: CERT } }), "50-loadbalancer");
    expect(resourcesOf(stack, "aws_acm_certificate")).toEqual({});
    expect(resourcesOf(stack, "aws_lb_listener").public_https.certificate_arn).toBe(CERT);
    expect(Object.keys(resourcesOf(stack, "aws_route53_record"))).toEqual(["alias"]);
  });
});

describe("GIVEN prod settings with a certificate", () => {
  let stack: StackJson;
  beforeAll(async () => {
    stack = synthLayer(await settingsWith({ load_balancer: { certificate_arn: CERT, domain: undefined } }), "50-loadbalancer");
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

  it("WHEN synthesized THEN it holds the ALB, its one listener and the namespace, and nothing else", () => {
    expect(inventoryOf(stack)).toEqual({
      "aws_lb": 1,
      "aws_lb_listener": 1,
      "aws_service_discovery_private_dns_namespace": 1,
      "data.terraform_remote_state": 2,
    });
  });
});

describe("GIVEN bad TLS settings", () => {
  it("WHEN a domain has no zone id THEN loading fails naming the file and the key", async () => {
    const { overrideError } = await import("./support/settings");
    expect(await overrideError({ load_balancer: { domain: { name: "grafana.example.com", zone_id: undefined } } })).toContain(
      "environments/prod.tfvars: load_balancer.domain.zone_id: is required but set in neither file (expected the Route 53 hosted zone id holding the name",
    );
  });

  it("WHEN the domain is not a DNS name THEN loading fails", async () => {
    const { overrideError } = await import("./support/settings");
    expect(await overrideError({ load_balancer: { domain: { name: "https://grafana.example.com" } } })).toContain(
      'environments/prod.tfvars: load_balancer.domain.name: expected a lowercase DNS name such as "grafana.example.com"',
    );
  });

  it("WHEN the TLS policy allows TLS 1.0 THEN loading fails naming ELB.17's expectation", async () => {
    const { overrideError } = await import("./support/settings");
    expect(await overrideError({ load_balancer: { ssl_policy: "ELBSecurityPolicy-2016-08" } })).toContain(
      'environments/prod.tfvars: load_balancer.ssl_policy: "ELBSecurityPolicy-2016-08" accepts TLS below 1.2 or offers no TLS 1.3 (Security Hub ELB.17); expected a TLS13-1-2 or TLS13-1-3 policy such as "ELBSecurityPolicy-TLS13-1-2-2021-06"',
    );
  });
});
