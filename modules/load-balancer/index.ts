/**
 * PublicLoadBalancer: an internet-facing Application Load Balancer and its listeners, with nothing
 * behind them yet.
 *
 * Owns the ALB (invalid header fields dropped, deletion protection, idle timeout and access logs as given), the
 * HTTP listener on 80 and, with a certificate, the HTTPS listener on 443 (80 then only redirects).
 * The serving listener's default action is a fixed 404: the services, their target groups and
 * their listener rules are added by whoever owns the services (see stacks/60-ecs.ts), so that a
 * target group, its health check and the task definition it checks change in one apply.
 * Modelled on aws-cdk's ApplicationLoadBalancer and terraform-aws-modules/alb.
 */
import { Construct } from "constructs";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";

export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;

export interface PublicLoadBalancerProps {
  /** ALB name (at most 32 characters; settings check it). */
  readonly name: string;
  /** Public subnets, one per AZ (at least two). */
  readonly subnetIds: string[];
  /** Security groups of the ALB. */
  readonly securityGroupIds: string[];
  /** ACM certificate for HTTPS on 443; with it, 80 redirects to 443. @default none (HTTP on 80 only) */
  readonly certificateArn?: string;
  /** TLS policy of the HTTPS listener. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly sslPolicy?: string;
  /** Refuse deletion through the API (and `terraform destroy`). @default true */
  readonly deletionProtection?: boolean;
  /** Seconds an idle connection stays open. @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** Access logs into an S3 bucket (SSE-S3, with the region's ELB account allowed to write). @default none */
  readonly accessLogs?: { readonly bucket: string; readonly prefix: string };
}

export class PublicLoadBalancer extends Construct {
  readonly alb: Lb;
  /** Listener on 80: serves, or redirects to 443 when there is a certificate. */
  readonly httpListener: LbListener;
  /** Listener on 443, when there is a certificate. */
  readonly httpsListener?: LbListener;
  /** The listener that carries the service rules: 443 with a certificate, else 80. */
  readonly servingListener: LbListener;

  constructor(scope: Construct, id: string, props: PublicLoadBalancerProps) {
    super(scope, id);
    this.alb = new Lb(this, "alb", {
      name: props.name,
      loadBalancerType: "application",
      internal: false,
      subnets: props.subnetIds,
      securityGroups: props.securityGroupIds,
      // Requests with header names that are not valid HTTP are dropped, not forwarded (request
      // smuggling through lenient backends).
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? true,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      accessLogs: props.accessLogs ? { bucket: props.accessLogs.bucket, prefix: props.accessLogs.prefix, enabled: true } : undefined,
      tags: { Name: props.name },
    });

    // Nothing matches until a rule says so: an unknown path is a 404 from the ALB, never a request to
    // some service that happens to be the default.
    const notFound = [
      { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not found" } },
    ];

    if (props.certificateArn) {
      this.httpsListener = new LbListener(this, "https", {
        loadBalancerArn: this.alb.arn,
        port: HTTPS_PORT,
        protocol: "HTTPS",
        certificateArn: props.certificateArn,
        sslPolicy: props.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06",
        defaultAction: notFound,
        tags: { Name: `${props.name}-https` },
      });
      this.httpListener = new LbListener(this, "http", {
        loadBalancerArn: this.alb.arn,
        port: HTTP_PORT,
        protocol: "HTTP",
        defaultAction: [
          { type: "redirect", redirect: { protocol: "HTTPS", port: String(HTTPS_PORT), statusCode: "HTTP_301" } },
        ],
        tags: { Name: `${props.name}-http` },
      });
      this.servingListener = this.httpsListener;
    } else {
      this.httpListener = new LbListener(this, "http", {
        loadBalancerArn: this.alb.arn,
        port: HTTP_PORT,
        protocol: "HTTP",
        defaultAction: notFound,
        tags: { Name: `${props.name}-http` },
      });
      this.servingListener = this.httpListener;
    }
  }
}
