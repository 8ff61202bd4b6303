/**
 * 50-loadbalancer: the public entry point and the service-discovery namespace.
 *
 * Owns the internet-facing ALB `albName(settings)` in the public subnets with the ALB security group
 * (20-security), its listeners (`load_balancer.*`: 80, and 443 when `certificate_arn` or `domain` is
 * set, 80 then only redirecting), and the Cloud Map private DNS namespace `service_discovery.namespace`
 * in the VPC. With `load_balancer.domain`: the DNS-validated ACM certificate of the name (unless
 * `certificate_arn` is given) and the alias record pointing the name at the ALB.
 *
 * Why the listeners' default action is a fixed 404 and not "forward to Grafana": target groups live
 * in 60-ecs with their services, so that a path-prefix change, the health check it implies and the
 * task definition serving it land in one apply (seed 000: a health-check path applied before the
 * image that served it took Pyroscope down). A default action here would have to name Grafana's
 * target group across layers. Instead 60-ecs adds `load_balancer.default_service` (Grafana) as a
 * catch-all rule ("/*") at the last priority, after every service's allow and deny rules; the 404
 * only answers in the window before 60-ecs is applied.
 */
import type { Construct } from "constructs";
import { ServiceDiscoveryPrivateDnsNamespace } from "@cdktf/provider-aws/lib/service-discovery-private-dns-namespace";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DnsValidatedCertificate } from "../modules/dns-certificate";
import { AUDIT_TRAIL_TAG } from "../modules/fargate-service";
import { CustomerKey, logGroupsStatement } from "../modules/kms-key";
import { PublicLoadBalancer } from "../modules/load-balancer";
import { AlbWebAcl } from "../modules/web-acl";
import { CUSTOMER_KEY, ENCRYPTION_TAG } from "../policy/rules";
import { albName, AUDIT_LOG_PREFIXES, auditLogBucket, isEnabled, wafLogGroupName, webAclName, type Settings } from "../settings";
import { LayerStack, type LayerStackProps } from "./layer-stack";

export class LoadBalancerStack extends LayerStack<"50-loadbalancer"> {
  readonly loadBalancer: PublicLoadBalancer;
  readonly namespace: ServiceDiscoveryPrivateDnsNamespace;
  /** The web ACL in front of the ALB, when `load_balancer.waf.enabled`. */
  readonly webAcl?: AlbWebAcl;

  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "50-loadbalancer", props);
    const s = this.settings;
    const lb = s.load_balancer;

    const albLogs = auditLogBucket(s, "alb_access_logs");
    // A domain without a certificate of its own gets one from ACM, validated in its hosted zone.
    const certificate =
      lb.domain && lb.certificate_arn === undefined
        ? new DnsValidatedCertificate(this, "tls", { domainName: lb.domain.name, zoneId: lb.domain.zone_id })
        : undefined;

    this.loadBalancer = new PublicLoadBalancer(this, "public", {
      name: albName(s),
      subnetIds: this.remoteList("10-network", "public_subnet_ids"),
      securityGroupIds: [this.remoteString("20-security", "alb_security_group_id")],
      certificateArn: lb.certificate_arn ?? certificate?.certificateArn,
      sslPolicy: lb.ssl_policy,
      deletionProtection: lb.deletion_protection,
      idleTimeoutSeconds: lb.idle_timeout_seconds,
      accessLogs: albLogs ? { bucket: albLogs, prefix: AUDIT_LOG_PREFIXES.alb } : undefined,
    });

    if (lb.domain) {
      new Route53Record(this, "alias", {
        zoneId: lb.domain.zone_id,
        name: lb.domain.name,
        type: "A",
        alias: { name: this.loadBalancer.alb.dnsName, zoneId: this.loadBalancer.alb.zoneId, evaluateTargetHealth: true },
      });
    }

    // Tasks register here as `<service>.<namespace>`; ring members join each other and in-VPC
    // clients reach services through these names (60-ecs publishes them as service_endpoints).
    this.namespace = new ServiceDiscoveryPrivateDnsNamespace(this, "namespace", {
      name: s.service_discovery.namespace,
      description: `Service discovery of ${s.project}-${s.env}: <service>.${s.service_discovery.namespace}`,
      vpc: this.remoteString("10-network", "vpc_id"),
    });

    if (lb.waf.enabled) this.webAcl = this.protect(s);

    const alb = this.loadBalancer.alb;
    this.publish("alb_arn", alb.arn);
    this.publish("alb_dns_name", alb.dnsName);
    this.publish("alb_zone_id", alb.zoneId);
    this.publish("listener_arn", this.loadBalancer.servingListener.arn);
    this.publish("cloud_map_namespace_id", this.namespace.id);
    this.publish("cloud_map_namespace_name", this.namespace.name);
    this.publish("web_acl_arn", this.webAcl?.webAcl.arn ?? "");
    this.publish("waf_log_group_name", this.webAcl?.logGroup.name ?? "");
  }

  /**
   * The web ACL (modules/web-acl). Its log is an audit record (who was blocked, from where, on
   * which path): kept `logs.audit_retention_days` and tagged as such (CloudWatch.16). With
   * `kms.log_groups` it has a key of its own: 60-ecs's key serves that layer's log groups, and a
   * layer applied before 60-ecs cannot use it.
   */
  private protect(s: Settings): AlbWebAcl {
    const logGroupName = wafLogGroupName(s);
    let logKmsKeyArn: string | undefined;
    if (s.kms.log_groups) {
      const partition = new DataAwsPartition(this, "waf_log_key_partition").partition;
      logKmsKeyArn = new CustomerKey(this, "waf_log_key", {
        name: `${s.project}-${s.env}-waf-logs`,
        description: `${s.project} ${s.env}: the WAF log group ${logGroupName}`,
        accountIds: s.aws.allowed_account_ids,
        partition,
        serviceStatements: [logGroupsStatement("CloudWatchLogsOfTheWafLogGroup", { region: s.aws.region, accountIds: s.aws.allowed_account_ids, partition, logGroupNames: [logGroupName] })],
      }).arn;
    }
    return new AlbWebAcl(this, "waf", {
      name: webAclName(s),
      albArn: this.loadBalancer.alb.arn,
      rateLimit: s.load_balancer.waf.rate_limit.requests_per_5_minutes,
      loginRateLimit: s.load_balancer.waf.rate_limit.login_requests_per_5_minutes,
      // The gateway's paths carry telemetry, which the content rule groups would take for attacks.
      uninspectedPaths: isEnabled(s, "gateway") ? s.services.gateway.alb_paths : [],
      logGroupName,
      logRetentionDays: s.logs.audit_retention_days,
      logKmsKeyArn,
      logTags: { [AUDIT_TRAIL_TAG]: "true", ...(logKmsKeyArn ? { [ENCRYPTION_TAG]: CUSTOMER_KEY } : {}) },
    });
  }
}
