/**
 * FargateService: one component of the stack running on ECS Fargate, with everything that must
 * change together when the component changes.
 *
 * Owns (modelled on aws-cdk's aws-ecs-patterns ApplicationLoadBalancedFargateService and
 * terraform-aws-modules/ecs//modules/service):
 * - the CloudWatch log group of its containers;
 * - the task definition (awsvpc, FARGATE, Linux, X86_64 or ARM64, execution and task roles, ephemeral storage
 *   when above Fargate's free 21 GiB) and its container definitions, written in the form the ECS
 *   API returns (./container-definition.ts) so a plan after an apply is empty. The main container has a
 *   read-only root filesystem unless told otherwise (Security Hub ECS.5): what it writes must be
 *   task volumes;
 * - the Cloud Map service (`<name>.<namespace>`, A records, multivalue) the tasks register in;
 * - when ALB-fronted: the target group, its health check, and the listener rules of its paths;
 * - the ECS service (private subnets, no public IP, circuit breaker with rollback, capacity-provider
 *   strategy, Cloud Map registration, ALB registration).
 *
 * The target group and its listener rules live here, next to the service, rather than in the
 * load-balancer layer: a path-prefix change, the health-check path it implies and the task
 * definition that serves it are then planned and applied together (seed 000: a health-check path
 * changed in one apply while the image serving it changed in another took Pyroscope down).
 *
 * Config delivery (issue "service configs"): the construct takes the pieces a config needs, not a
 * config. `command`, `extraContainers` (e.g. a non-essential init container that writes the rendered
 * file), `volumes` + `mountPoints` (a task-scoped volume mounted read-only), `containerDependsOn` and
 * `dockerLabels` (a content hash a plan reviewer can see) are that seam.
 */
import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CUSTOMER_KEY, ENCRYPTION_TAG } from "../../policy/rules";
import { EcsService, type EcsServiceCapacityProviderStrategy } from "@cdktf/provider-aws/lib/ecs-service";
import { EcsTaskDefinition, type EcsTaskDefinitionVolume } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { ServiceDiscoveryService } from "@cdktf/provider-aws/lib/service-discovery-service";
import { dependable, type ITerraformDependable } from "cdktf";
import {
  containerDefinitionsJson,
  type ContainerDependency,
  type ContainerMountPoint,
  type ContainerPort,
  type ContainerSpec,
} from "./container-definition";

export * from "./container-definition";

/** Fargate's free ephemeral storage; larger sizes are billed and must be declared. */
export const FARGATE_DEFAULT_EPHEMERAL_GIB = 21;
/** Fargate's longest stop timeout: the time a component has to flush on SIGTERM. */
export const FARGATE_MAX_STOP_TIMEOUT = 120;
/**
 * Listener-rule priorities one ALB path takes: allow rules at `first + 10*i + 0..8`, the deny rule
 * at `first + 10*i + 9`. A new CIDR chunk never moves another rule.
 */
export const PRIORITY_SLOTS_PER_PATH = 10;
const DENY_SLOT = PRIORITY_SLOTS_PER_PATH - 1;
/** ALB rules accept at most 5 condition values in total. */
const MAX_CONDITION_VALUES = 5;

/** The target group's protocol and target type: fixed for Fargate tasks behind an ALB. */
const TARGET_PROTOCOL = "HTTP";
const TARGET_TYPE = "ip";

/** Where the tasks run. */
export interface FargateNetworkProps {
  /** Subnets of the tasks (private). */
  readonly subnetIds: string[];
  /** Security groups of the tasks. */
  readonly securityGroupIds: string[];
}

/** Registration in a Cloud Map private DNS namespace: `<name>.<namespace>` resolves to the task IPs. */
export interface ServiceDiscoveryProps {
  /** Id of the Cloud Map private DNS namespace. */
  readonly namespaceId: string;
  /** DNS label of the service in the namespace. @default the service name */
  readonly name?: string;
  /** TTL of the A records; short, since every task replacement brings a new IP. @default 10 */
  readonly dnsTtlSeconds?: number;
}

/** Who may use one ALB path, and where its rules go. */
export interface AlbRoutingProps {
  /** Listener that carries the rules. */
  readonly listenerArn: string;
  /** Path patterns routed to the service, e.g. "/loki/*". @default none (health checks only) */
  readonly pathPatterns?: readonly string[];
  /**
   * Named source CIDRs allowed on the paths; every other source gets 403. Empty: nobody through
   * the ALB. @default {}
   */
  readonly allowedSourceCidrs?: Readonly<Record<string, string>>;
  /** CIDRs per allow rule (an ALB rule takes 5 condition values, one is the path). @default 4 */
  readonly cidrsPerRule?: number;
  /**
   * Priority of the first rule; the service uses `PRIORITY_SLOTS_PER_PATH` priorities per path from
   * here. Required when there are path patterns.
   * @default none
   */
  readonly firstPriority?: number;
}

/** The ALB target group of the service. */
export interface TargetGroupProps {
  /** VPC of the target group. */
  readonly vpcId: string;
  /**
   * Name of the target group given a short hash of the attributes AWS cannot change in place
   * (port, protocol, target type). A change to any of them creates a new group under a new name
   * before the old one goes (create_before_destroy), so names never clash.
   */
  readonly name: (suffix: string) => string;
  /** Length of that hash in hex digits. @default 4 */
  readonly suffixLength?: number;
  /** Path the ALB polls; must be one the component serves (settings checks it). */
  readonly healthCheckPath: string;
  /** Seconds between health checks. @default 15 */
  readonly healthCheckIntervalSeconds?: number;
  /** Seconds the ALB waits for a draining target's requests. @default 30 */
  readonly deregistrationDelaySeconds?: number;
  /** Seconds ECS ignores failing health checks after a task starts. @default 120 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** Listener rules of the service's paths. @default none: then some other rule must forward to the group (see `FargateService.addDependency`) */
  readonly routing?: AlbRoutingProps;
}

/** Capacity providers of the service. */
export interface CapacityProps {
  /** FARGATE_SPOT weight; 0 runs on FARGATE only. @default 0 */
  readonly spotWeight?: number;
  /** Tasks always placed on FARGATE before weights apply (only with Spot). @default 0 */
  readonly onDemandBase?: number;
}

export interface FargateServiceProps {
  /** ECS service name; also the main container's name and the Cloud Map name. */
  readonly serviceName: string;
  /** ARN of the ECS cluster. */
  readonly clusterArn: string;
  /** Task definition family. */
  readonly family: string;
  /** Task CPU units (a Fargate size; settings check the combination). */
  readonly cpu: number;
  /** Task memory in MiB. */
  readonly memory: number;
  /** Number of tasks. */
  readonly desiredCount: number;
  /** Role ECS uses to pull the image, write logs and read `secrets`. */
  readonly executionRoleArn: string;
  /** Role the containers run as. @default none: the containers get no AWS credentials (e.g. a cache) */
  readonly taskRoleArn?: string;
  /** Task ephemeral storage in GiB (21-200); declared only above 21. @default 21 */
  readonly ephemeralStorageGib?: number;

  /** Image of the main container, `repository:tag`. */
  readonly image: string;
  /** Ports of the main container; the first one is the HTTP port the ALB and Cloud Map clients use. */
  readonly ports: readonly ContainerPort[];
  /** Plain environment of the main container (sorted by name in the definition). @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Secret environment of the main container: name → Secrets Manager/SSM ARN. @default none */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Main container arguments, e.g. `-config.file=/etc/<svc>/config.yaml`. @default the image's CMD */
  readonly command?: readonly string[];
  /** Main container entry point. @default the image's ENTRYPOINT */
  readonly entryPoint?: readonly string[];
  /** Task volumes mounted into the main container. @default none */
  readonly mountPoints?: readonly ContainerMountPoint[];
  /** Containers the main container waits for (e.g. a config init container, SUCCESS). @default none */
  readonly containerDependsOn?: readonly ContainerDependency[];
  /** Docker labels of the main container (e.g. the rendered config's hash). @default none */
  readonly dockerLabels?: Readonly<Record<string, string>>;
  /** Seconds between SIGTERM and SIGKILL; Fargate allows at most 120. @default 120 */
  readonly stopTimeoutSeconds?: number;
  /**
   * User (`uid[:gid]`) of the main container: the image's own non-root user, written out so the
   * task definition says it (Security Hub ECS.20). @default the image's USER (root if it has none)
   */
  readonly user?: string;
  /**
   * Mount the main container's root filesystem read-only (Security Hub ECS.5): every path it writes
   * must then be a task volume in `mountPoints` (modules/config-delivery's `writablePaths`).
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;
  /**
   * Further containers of the task, e.g. a non-essential init container writing a rendered config
   * to a task volume. They log to the same group under their own stream prefix.
   * @default none
   */
  readonly extraContainers?: readonly ContainerSpec[];
  /** Task volumes (task-scoped bind volumes, EFS). @default none */
  readonly volumes?: readonly EcsTaskDefinitionVolume[];

  /** CloudWatch log group of the containers. */
  readonly logGroupName: string;
  /** Days the log group keeps events. */
  readonly logRetentionDays: number;
  /** Customer managed KMS key the log group is encrypted with. @default none (CloudWatch Logs' own encryption) */
  readonly logKmsKeyArn?: string;
  /**
   * The log group holds audit records (who did what): tagged `AuditTrail = "true"`, which the policy
   * pack holds to the audit retention (CloudWatch.16). @default false
   */
  readonly auditLog?: boolean;
  /** Region of the log group (awslogs-region). */
  readonly region: string;

  /** Where the tasks run. */
  readonly network: FargateNetworkProps;
  /** Cloud Map registration. */
  readonly serviceDiscovery: ServiceDiscoveryProps;
  /** ALB target group and listener rules; absent for services the ALB does not front. @default none */
  readonly targetGroup?: TargetGroupProps;
  /** Capacity providers. @default FARGATE only */
  readonly capacity?: CapacityProps;
  /** CPU architecture of the tasks (Fargate Spot runs X86_64 only). @default "X86_64" */
  readonly cpuArchitecture?: "X86_64" | "ARM64";
  /**
   * Deployment percentages (settings/quorum.ts derives ring members' from their write quorum).
   * @default { minimumHealthyPercent: 100, maximumPercent: 200 }: new tasks start before old ones stop
   */
  readonly deployment?: { readonly minimumHealthyPercent: number; readonly maximumPercent: number };
  /** Resources the ECS service must wait for (e.g. the cluster's capacity providers). @default none */
  readonly serviceDependsOn?: ITerraformDependable[];
}

/** Tag of the log groups that hold audit records (policy/rules.ts CloudWatch.16 reads it). */
export const AUDIT_TRAIL_TAG = "AuditTrail";

export class FargateService extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  readonly taskDefinition: EcsTaskDefinition;
  readonly discovery: ServiceDiscoveryService;
  readonly targetGroup?: LbTargetGroup;
  /** Listener rules of the service's paths, allow rules before deny rules. */
  readonly listenerRules: LbListenerRule[] = [];
  readonly service: EcsService;
  /** The HTTP port (first of `ports`). */
  readonly httpPort: number;

  constructor(scope: Construct, id: string, props: FargateServiceProps) {
    super(scope, id);
    if (props.ports.length === 0) throw new Error(`service ${props.serviceName}: at least one port (the HTTP port) is needed`);
    const stopTimeout = props.stopTimeoutSeconds ?? FARGATE_MAX_STOP_TIMEOUT;
    if (stopTimeout > FARGATE_MAX_STOP_TIMEOUT) {
      throw new Error(`service ${props.serviceName}: stop timeout ${stopTimeout}s is over Fargate's ${FARGATE_MAX_STOP_TIMEOUT}s`);
    }
    this.httpPort = props.ports[0].containerPort;

    this.logGroup = new CloudwatchLogGroup(this, "log_group", {
      name: props.logGroupName,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
      tags: props.auditLog || props.logKmsKeyArn ? { ...(props.auditLog ? { [AUDIT_TRAIL_TAG]: "true" } : {}), ...(props.logKmsKeyArn ? { [ENCRYPTION_TAG]: CUSTOMER_KEY } : {}) } : undefined,
    });

    const logs = (streamPrefix: string) => ({
      logDriver: "awslogs",
      options: {
        "awslogs-group": props.logGroupName,
        "awslogs-region": props.region,
        "awslogs-stream-prefix": streamPrefix,
        // A slow or unreachable CloudWatch must not block the component's writes to stdout (an
        // ingester blocked on logging stops acknowledging pushes); the buffer absorbs bursts.
        mode: "non-blocking",
        "max-buffer-size": "25m",
      },
    });

    const main: ContainerSpec = {
      name: props.serviceName,
      image: props.image,
      essential: true,
      portMappings: props.ports,
      environment: props.environment,
      secrets: props.secrets,
      command: props.command,
      entryPoint: props.entryPoint,
      mountPoints: props.mountPoints,
      dependsOn: props.containerDependsOn,
      dockerLabels: props.dockerLabels,
      // tini as PID 1 forwards SIGTERM to the component, so it can flush and leave its ring within
      // the stop timeout instead of being killed.
      initProcessEnabled: true,
      stopTimeout,
      logConfiguration: logs(props.serviceName),
      user: props.user,
      readonlyRootFilesystem: props.readonlyRootFilesystem ?? true,
    };
    const extra = (props.extraContainers ?? []).map((c) => ({ ...c, logConfiguration: c.logConfiguration ?? logs(c.name) }));

    const ephemeral = props.ephemeralStorageGib ?? FARGATE_DEFAULT_EPHEMERAL_GIB;
    this.taskDefinition = new EcsTaskDefinition(this, "task_definition", {
      family: props.family,
      cpu: String(props.cpu),
      memory: String(props.memory),
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture ?? "X86_64" },
      executionRoleArn: props.executionRoleArn,
      taskRoleArn: props.taskRoleArn,
      containerDefinitions: containerDefinitionsJson([main, ...extra]),
      ephemeralStorage: ephemeral > FARGATE_DEFAULT_EPHEMERAL_GIB ? { sizeInGib: ephemeral } : undefined,
      volume: props.volumes && props.volumes.length > 0 ? [...props.volumes] : undefined,
    });

    this.discovery = new ServiceDiscoveryService(this, "discovery", {
      name: props.serviceDiscovery.name ?? props.serviceName,
      description: `${props.serviceName} tasks (A records of the task ENIs)`,
      dnsConfig: {
        namespaceId: props.serviceDiscovery.namespaceId,
        // Every healthy task's IP in one answer: ring members find each other, clients spread load.
        routingPolicy: "MULTIVALUE",
        dnsRecords: [{ type: "A", ttl: props.serviceDiscovery.dnsTtlSeconds ?? 10 }],
      },
      // ECS reports task health to Cloud Map; a stopping task leaves DNS before it is killed.
      healthCheckCustomConfig: { failureThreshold: 1 },
    });

    const tg = props.targetGroup;
    if (tg) {
      this.targetGroup = this.createTargetGroup(props.serviceName, tg);
      if (tg.routing) this.createRules(props.serviceName, tg.routing, this.targetGroup);
    }

    const capacity = props.capacity ?? {};
    this.service = new EcsService(this, "service", {
      name: props.serviceName,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: props.desiredCount,
      capacityProviderStrategy: capacityProviderStrategy(capacity.spotWeight ?? 0, capacity.onDemandBase ?? 0),
      networkConfiguration: {
        subnets: props.network.subnetIds,
        securityGroups: props.network.securityGroupIds,
        assignPublicIp: false,
      },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      // Without `deployment`, a rolling deploy starts new tasks before it stops old ones.
      deploymentMinimumHealthyPercent: props.deployment?.minimumHealthyPercent ?? 100,
      deploymentMaximumPercent: props.deployment?.maximumPercent ?? 200,
      healthCheckGracePeriodSeconds: this.targetGroup ? (tg?.healthCheckGracePeriodSeconds ?? 120) : undefined,
      loadBalancer: this.targetGroup
        ? [{ targetGroupArn: this.targetGroup.arn, containerName: props.serviceName, containerPort: this.httpPort }]
        : undefined,
      serviceRegistries: { registryArn: this.discovery.arn },
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      // Apply finishes when ECS has the new revision; the circuit breaker, not Terraform, watches
      // the rollout (and rolls back), so one slow service does not hold every layer's apply.
      waitForSteadyState: false,
      dependsOn: [...(props.serviceDependsOn ?? []), ...this.listenerRules],
    });
  }

  /**
   * Makes the service wait for a resource, e.g. a listener rule outside this construct that
   * forwards to its target group: ECS refuses a target group no listener rule uses.
   */
  addDependency(...resources: ITerraformDependable[]): void {
    this.service.dependsOn = [...(this.service.dependsOn ?? []), ...resources.map((r) => dependable(r))];
  }

  private createTargetGroup(serviceName: string, tg: TargetGroupProps): LbTargetGroup {
    const suffix = targetGroupSuffix(this.httpPort, TARGET_PROTOCOL, TARGET_TYPE, tg.suffixLength ?? 4);
    return new LbTargetGroup(this, "target_group", {
      name: tg.name(suffix),
      port: this.httpPort,
      protocol: TARGET_PROTOCOL,
      targetType: TARGET_TYPE,
      vpcId: tg.vpcId,
      deregistrationDelay: String(tg.deregistrationDelaySeconds ?? 30),
      healthCheck: {
        enabled: true,
        path: tg.healthCheckPath,
        // The same port as the traffic, written out so a port change shows in the health check too.
        port: String(this.httpPort),
        protocol: TARGET_PROTOCOL,
        matcher: "200",
        interval: tg.healthCheckIntervalSeconds ?? 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      tags: { Name: tg.name(suffix), Service: serviceName },
      // Port, protocol and target type cannot change in place: the new group (new name, see the
      // suffix) is created and the rules and service moved to it before the old one is deleted.
      lifecycle: { createBeforeDestroy: true },
    });
  }

  /**
   * For each path: one allow rule per chunk of allowed CIDRs (path AND source IP → forward), then a
   * 403 rule for the path from anywhere else. The 403 rule is what keeps a denied request from
   * falling through to the listener's catch-all (Grafana).
   */
  private createRules(serviceName: string, routing: AlbRoutingProps, targetGroup: LbTargetGroup): void {
    const paths = routing.pathPatterns ?? [];
    if (paths.length === 0) return;
    if (routing.firstPriority === undefined) throw new Error(`service ${serviceName}: routing.firstPriority is needed for its ALB paths`);
    const perRule = routing.cidrsPerRule ?? MAX_CONDITION_VALUES - 1;
    if (perRule < 1 || perRule > MAX_CONDITION_VALUES - 1) {
      throw new Error(`service ${serviceName}: an ALB rule takes 1 to ${MAX_CONDITION_VALUES - 1} source CIDRs next to its path, got ${perRule}`);
    }
    const named = Object.entries(routing.allowedSourceCidrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const chunks: [string, string][][] = [];
    for (let i = 0; i < named.length; i += perRule) chunks.push(named.slice(i, i + perRule));
    if (chunks.length > DENY_SLOT) {
      throw new Error(`service ${serviceName}: ${named.length} allowed CIDRs need ${chunks.length} rules per path; at most ${DENY_SLOT} fit its priority block`);
    }
    paths.forEach((path, p) => {
      const base = routing.firstPriority! + p * PRIORITY_SLOTS_PER_PATH;
      chunks.forEach((chunk, c) => {
        this.listenerRules.push(
          new LbListenerRule(this, `path${p}_allow${c}`, {
            listenerArn: routing.listenerArn,
            priority: base + c,
            condition: [{ pathPattern: { values: [path] } }, { sourceIp: { values: chunk.map(([, cidr]) => cidr) } }],
            action: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags: {
              Name: `${serviceName} ${path} allow ${c + 1}`,
              // The names of load_balancer.ingest_allowed_cidrs this rule admits (tag values: 256 chars).
              AllowedCidrs: chunk.map(([name]) => name).join(" ").slice(0, 256),
            },
          }),
        );
      });
      this.listenerRules.push(
        new LbListenerRule(this, `path${p}_deny`, {
          listenerArn: routing.listenerArn,
          priority: base + DENY_SLOT,
          condition: [{ pathPattern: { values: [path] } }],
          action: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "403", messageBody: "Forbidden" } }],
          tags: { Name: `${serviceName} ${path} deny` },
        }),
      );
    });
  }
}

/**
 * First hex digits of a SHA-256 of the target-group attributes AWS cannot update in place. Equal
 * attributes always give the same suffix, so the name is stable until one of them changes.
 */
export function targetGroupSuffix(port: number, protocol: string, targetType: string, length = 4): string {
  return createHash("sha256").update(`${port}/${protocol}/${targetType}`).digest("hex").slice(0, length);
}

/**
 * FARGATE only when `spotWeight` is 0; otherwise `onDemandBase` tasks on FARGATE, and the rest split
 * FARGATE 1 : FARGATE_SPOT `spotWeight`.
 */
export function capacityProviderStrategy(spotWeight: number, onDemandBase: number): EcsServiceCapacityProviderStrategy[] {
  if (spotWeight === 0) return [{ capacityProvider: "FARGATE", weight: 1, base: 0 }];
  return [
    { capacityProvider: "FARGATE", weight: 1, base: onDemandBase },
    { capacityProvider: "FARGATE_SPOT", weight: spotWeight, base: 0 },
  ];
}
