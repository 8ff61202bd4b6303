/**
 * 60-ecs: the cluster and the six services.
 *
 * Owns the ECS cluster `clusterName(settings)` (Container Insights per `ecs.container_insights`,
 * capacity providers FARGATE and FARGATE_SPOT) and, for every service of the catalog, one
 * `FargateService` (modules/fargate-service): log group, task definition, Cloud Map service, target
 * group + listener rules when the ALB fronts it, and the ECS service.
 *
 * Reads 10-network (VPC, private subnets), 20-security (task security groups), 30-storage (data
 * bucket, ECR repositories), 40-iam (execution and task roles, secrets) and 50-loadbalancer
 * (serving listener, Cloud Map namespace).
 *
 * Ingestion and query paths (each service's `alb_paths`) are closed to the internet by default. The
 * mechanism is source-IP conditions on the public listener, because it needs no second load
 * balancer and keeps every path in one place a plan reviewer can read:
 * - for each path, one allow rule per `CIDRS_PER_RULE` CIDRs of `load_balancer.ingest_allowed_cidrs`
 *   (path AND source IP → the service's target group), then a 403 rule for the path from anywhere
 *   else, so a denied request never falls through to the catch-all;
 * - clients inside the VPC do not use the ALB at all: they call the service's Cloud Map address
 *   `http://<service>.<namespace>:<http_port>` (published as `service_endpoints`), which the task
 *   security groups of 20-security already allow from the VPC CIDR and from
 *   `load_balancer.internal_client_cidrs` (peered networks).
 *
 * Listener-rule priorities, deterministic from the catalog order (SERVICE_NAMES):
 *   service i (0-based), path j of its `alb_paths`, allow chunk k:  100*(i+1) + 10*j + k
 *   the path's 403 rule:                                            100*(i+1) + 10*j + 9
 *   the default service's private paths (its /metrics), 404:        PRIVATE_PATHS_PRIORITY (before every other rule)
 *   the default service's catch-all "/*":                           50000 (the last priority)
 * so services never share a block (5 paths × 10 slots < 100), the deny rule always follows its allow
 * rules, and adding a CIDR or a path never renumbers another rule.
 *
 * Replacement safety (settings/quorum.ts, settings/shutdown.ts):
 * - every service runs in all private subnets, one per AZ of `network.availability_zones` (at least
 *   two, checked), so ECS spreads a service's tasks over every AZ;
 * - deployment percentages follow each ring's quorum: a rolling deploy never stops more ring members
 *   at once than the write quorum tolerates, never runs more than the catalog's count, and never runs
 *   two copies of a singleton (Tempo 3 monolithic, Grafana on its EFS SQLite database);
 * - the main container's stopTimeout is the shutdown budget's 120 s, in which the configs flush;
 * - Grafana's data path is its EFS access point (transit encryption, IAM authorization), or its
 *   external database, whose password is a container secret.
 */
import type { Construct } from "constructs";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { Fn } from "cdktf";
import { Alerting } from "../modules/alerting";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { configDelivery } from "../modules/config-delivery";
import { CustomerKey, logGroupsStatement } from "../modules/kms-key";
import { EfsFileSystem } from "../modules/efs-file-system";
import { FargateService, type ContainerPort } from "../modules/fargate-service";
import { readinessProbe } from "../modules/readiness-probe";
import {
  CONFIG_DIR,
  DATA_DIRS,
  GRAFANA_ADMIN_PASSWORD_ENV,
  GRAFANA_DATABASE_PASSWORD_ENV,
  gatewayPasswordEnv,
  gatewayQueryBase,
  grafanaReadPasswordEnv,
  GRAFANA_META_PASSWORD_ENV,
  GATEWAY_META_PASSWORD_ENV,
  gatewayRoutes,
  gatewaySignals,
  GATEWAY_OTLP_BASE,
  serviceCommand,
  serviceConfigs,
  AVAILABILITY_ZONE_PLACEHOLDER,
  serviceEnvironment as configEnvironment,
} from "../templates";
import {
  CIDRS_PER_RULE,
  imageReference,
  pullThroughReference,
  COMPONENTS,
  SHUTDOWN_BUDGET,
  albFrontedServices,
  deploymentPercentages,
  gatewayRoles,
  gatewaySecretKey,
  GRAFANA_OAUTH_CLIENT_SECRET_ENV,
  gatewaySecretName,
  grafanaDatabase,
  grafanaStateOnEfs,
  healthCheckPath,
  serviceEndpoint,
  SERVICE_NAMES,
  TARGET_GROUP_SUFFIX_LENGTH,
  clusterName,
  logGroupName,
  namePrefix,
  alertsTopicName,
  taskFamily,
  taskPorts,
  targetGroupName,

  tenants,
  SIGNALS,
  type ServiceName,
  type Settings,
  cpuArchitecture,
  CACHE_NAME,
  CLOUD_MAP_DNS_TTL_SECONDS,
  enabledServices,
  isEnabled,
  isRingService,
  zoneAware,
  resolveCache,
  servedMetricsPath,
} from "../settings";
import { LayerStack, type LayerStackProps } from "./layer-stack";

/** Listener-rule priorities of a service start at 100 × (catalog index + 1); see the header. */
const PRIORITY_BLOCK = 100;
/** ALB's last rule priority: the catch-all goes after everything else. */
export const CATCH_ALL_PRIORITY = 50000;
/**
 * The 404 rule for the default service's private paths: before every service block (which start at
 * PRIORITY_BLOCK) and, above all, before the catch-all that would otherwise forward them.
 */
export const PRIVATE_PATHS_PRIORITY = 10;
/** An ALB forward action takes at most 5 target groups. */
const MAX_TARGET_GROUPS_PER_ACTION = 5;
/** Services whose log group holds audit records (logs.audit_retention_days). */
export const AUDIT_LOG_SERVICES: readonly ServiceName[] = ["gateway"];
/** Task volume of Grafana's EFS access point. */
export const GRAFANA_DATA_VOLUME = "grafana-data";

export class EcsStack extends LayerStack<"60-ecs"> {
  readonly cluster: EcsCluster;
  readonly services: Readonly<Record<ServiceName, FargateService>>;
  readonly catchAll: LbListenerRule;
  /** The 404 for the default service's private paths (Grafana's /metrics), when it has any. */
  readonly privatePaths?: LbListenerRule;
  readonly alerting: Alerting;
  /** The memcached query cache (settings/cache.ts), when `cache.enabled`. */
  readonly cache?: FargateService;
  /** The log groups' KMS key, when `kms.log_groups`. */
  readonly logKey?: CustomerKey;

  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "60-ecs", props);
    const s = this.settings;

    // kms.log_groups: one key for this environment's log groups; CloudWatch Logs may use it only for
    // these log groups (the encryption context names the log group).
    if (s.kms.log_groups) {
      const partition = new DataAwsPartition(this, "log_key_partition").partition;
      this.logKey = new CustomerKey(this, "log_key", {
        name: `${s.project}-${s.env}-logs`,
        description: `${s.project} ${s.env}: the services' CloudWatch log groups`,
        accountIds: s.aws.allowed_account_ids,
        partition,
        serviceStatements: [
          logGroupsStatement("CloudWatchLogsOfThisEnvironment", {
            region: s.aws.region,
            accountIds: s.aws.allowed_account_ids,
            partition,
            logGroupNames: [...enabledServices(s), ...(resolveCache(s).enabled ? [CACHE_NAME as typeof CACHE_NAME] : [])].map((n) => logGroupName(s, n)),
          }),
        ],
      });
    }
    this.cluster = new EcsCluster(this, "cluster", {
      name: clusterName(s),
      setting: [{ name: "containerInsights", value: s.ecs.container_insights }],
    });
    const capacityProviders = new EcsClusterCapacityProviders(this, "capacity_providers", {
      clusterName: this.cluster.name,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      // Every service sets its own strategy; this default only applies to ad-hoc RunTask calls.
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    });

    const listenerArn = this.remoteString("50-loadbalancer", "listener_arn");
    const namespaceId = this.remoteString("50-loadbalancer", "cloud_map_namespace_id");
    const vpcId = this.remoteString("10-network", "vpc_id");
    const privateSubnets = this.remoteList("10-network", "private_subnet_ids");
    const bucketName = this.remoteString("30-storage", "data_bucket_name");
    const executionRoleArn = this.remoteString("40-iam", "task_execution_role_arn");
    const fronted = albFrontedServices(s);
    const ingest = s.load_balancer.ingest_allowed_cidrs;

    const services = {} as Record<ServiceName, FargateService>;
    SERVICE_NAMES.forEach((name, index) => {
      // A service switched off (services.<name>.enabled = false) has no task, Cloud Map name or
      // alarm; the others keep their catalog index, so no listener-rule priority moves.
      if (!isEnabled(s, name)) return;
      const svc = s.services[name];
      // The rendered configs travel in the task definition (modules/config-delivery): a config
      // change is a new revision, deployed with whatever ALB change it implies in one apply.
      const state = name === "grafana" && grafanaStateOnEfs(s) ? this.grafanaEfsVolume() : { volumes: [], mountPoints: [] };
      // The main container's root filesystem is read-only: each path it writes is a task volume the
      // init container chowns to its user, unless another volume (Grafana's EFS) already covers it.
      const mounted = new Set<string>(state.mountPoints.map((m) => m.containerPath));
      const initImage = s.image_source === "pull_through" ? this.cached(s.ecs.config_init_image) : s.ecs.config_init_image;
      const delivery = configDelivery({
        serviceName: name,
        files: serviceConfigs(s, name),
        mountPath: CONFIG_DIR,
        initImage,
        writablePaths: COMPONENTS[name].writablePaths.filter((p) => !mounted.has(p)),
        writableOwner: COMPONENTS[name].imageUser,
        // Zone-aware rings: each task writes its own AZ (ECS task metadata) into the rendered token.
        ...(isRingService(name) && zoneAware(s, name) ? { availabilityZonePlaceholder: AVAILABILITY_ZONE_PLACEHOLDER } : {}),
      });
      services[name] = new FargateService(this, name, {
        serviceName: name,
        clusterArn: this.cluster.arn,
        family: taskFamily(s, name),
        cpu: svc.cpu,
        memory: svc.memory,
        desiredCount: svc.desired_count,
        executionRoleArn,
        taskRoleArn: this.remoteMapEntry("40-iam", "task_role_arns", name),
        ephemeralStorageGib: svc.ephemeral_storage_gib,
        image:
          s.image_source === "ecr"
            ? imageReference(s, name, this.remoteMapEntry("30-storage", "ecr_repository_urls", name))
            : s.image_source === "pull_through"
              ? imageReference(s, name, this.cached(svc.image))
              : imageReference(s, name),
        ports: containerPorts(s, name),
        environment: { ...baseEnvironment(s, name, bucketName), ...configEnvironment(s, name) },
        command: serviceCommand(s, name),
        // Ring members (distroless images, no target group) get their readiness from a busybox
        // sidecar's health check (modules/readiness-probe): a rolling deploy then waits for each new
        // member to be ready before it stops the next.
        extraContainers: isRingService(name)
          ? [delivery.ownerContainer, delivery.initContainer, readinessProbe({ image: initImage, port: svc.http_port, path: healthCheckPath(s, name) })]
          : [delivery.ownerContainer, delivery.initContainer],
        volumes: [...delivery.volumes, ...state.volumes],
        mountPoints: [...delivery.mountPoints, ...state.mountPoints],
        containerDependsOn: delivery.containerDependsOn,
        dockerLabels: delivery.dockerLabels,
        secrets: name === "grafana" ? this.grafanaSecrets() : name === "gateway" ? this.gatewaySecrets() : undefined,
        stopTimeoutSeconds: SHUTDOWN_BUDGET.stopTimeout,
        user: COMPONENTS[name].imageUser,
        readonlyRootFilesystem: true,
        deployment: deploymentPercentages(s, name),
        logGroupName: logGroupName(s, name),
        // The gateway's access log is the audit record of every tenant credential's use (who pushed,
        // queried or deleted what): kept logs.audit_retention_days, the others logs.retention_days.
        logRetentionDays: AUDIT_LOG_SERVICES.includes(name) ? s.logs.audit_retention_days : s.logs.retention_days,
        auditLog: AUDIT_LOG_SERVICES.includes(name),
        logKmsKeyArn: this.logKey?.arn,
        region: s.aws.region,
        network: {
          subnetIds: privateSubnets,
          securityGroupIds: [this.remoteMapEntry("20-security", "task_security_group_ids", name)],
        },
        serviceDiscovery: { namespaceId, name, dnsTtlSeconds: CLOUD_MAP_DNS_TTL_SECONDS },
        targetGroup: fronted.includes(name)
          ? {
              vpcId,
              name: (suffix) => targetGroupName(s, name, suffix),
              suffixLength: TARGET_GROUP_SUFFIX_LENGTH,
              healthCheckPath: healthCheckPath(s, name),
              healthCheckGracePeriodSeconds: s.ecs.health_check_grace_period_seconds,
              routing: {
                listenerArn,
                pathPatterns: svc.alb_paths,
                allowedSourceCidrs: ingest,
                cidrsPerRule: CIDRS_PER_RULE,
                firstPriority: PRIORITY_BLOCK * (index + 1),
              },
            }
          : undefined,
        capacity: { spotWeight: svc.spot_weight, onDemandBase: svc.on_demand_base },
        cpuArchitecture: cpuArchitecture(s, name),
        serviceDependsOn: [capacityProviders],
      });
    });
    this.services = services;

    this.privatePaths = this.privatePathsRule(listenerArn);
    this.catchAll = this.defaultServiceRule(listenerArn, fronted);
    this.alerting = this.alerts();

    // The query cache: memcached tasks in Cloud Map as memcached.<namespace> (A records, one per
    // task), the address Mimir's and Loki's rendered configs name. No ALB, no task role (it calls no
    // AWS API), no config file: its sizes are its command line.
    const cache = resolveCache(s);
    if (cache.enabled) {
      this.cache = new FargateService(this, CACHE_NAME, {
        serviceName: CACHE_NAME,
        clusterArn: this.cluster.arn,
        family: taskFamily(s, CACHE_NAME),
        cpu: cache.cpu,
        memory: cache.memory,
        desiredCount: cache.tasks,
        executionRoleArn,
        image: s.image_source === "pull_through" ? this.cached(cache.image) : cache.image,
        ports: [{ containerPort: cache.port, protocol: "tcp" }],
        command: [...cache.args],
        // memcached holds nothing worth a drain: stop promptly.
        stopTimeoutSeconds: 10,
        // Docker's memcached image: `useradd --uid 11211 memcache`, `USER memcache`; it keeps every
        // item in memory and writes no file, so its root filesystem is read-only (ECS.5, ECS.20).
        user: "11211:11211",
        readonlyRootFilesystem: true,
        logGroupName: logGroupName(s, CACHE_NAME),
        logRetentionDays: s.logs.retention_days,
        logKmsKeyArn: this.logKey?.arn,
        region: s.aws.region,
        network: { subnetIds: privateSubnets, securityGroupIds: [this.remoteString("20-security", "cache_security_group_id")] },
        serviceDiscovery: { namespaceId, name: CACHE_NAME, dnsTtlSeconds: CLOUD_MAP_DNS_TTL_SECONDS },
        cpuArchitecture: cache.cpuArchitecture,
        serviceDependsOn: [capacityProviders],
      });
    }

    this.publish("cluster_name", this.cluster.name);
    this.publish("cluster_arn", this.cluster.arn);
    this.publish("service_names", byService(s, (n) => services[n].service.name));
    this.publish("task_definition_arns", byService(s, (n) => services[n].taskDefinition.arn));
    this.publish("service_endpoints", serviceEndpoints(s));
    this.publish("alerts_topic_arn", this.alerting.topic.arn);
    this.publish("cache_address", cache.enabled ? cache.address : "");
  }

  /**
   * The AWS-side alerts (modules/alerting): owned here because they watch this layer's services and
   * target groups, and need no task of the stack to run in order to reach a person.
   */
  private alerts(): Alerting {
    const s = this.settings;
    const natAzs = s.network.nat_gateways === "per_az" ? s.network.availability_zones : s.network.availability_zones.slice(0, 1);
    const albArn = this.remoteString("50-loadbalancer", "alb_arn");
    return new Alerting(this, "alerts", {
      namePrefix: namePrefix(s),
      topicName: alertsTopicName(s),
      accountIds: s.aws.allowed_account_ids,
      partition: new DataAwsPartition(this, "partition").partition,
      clusterName: this.cluster.name,
      clusterArn: this.cluster.arn,
      services: enabledServices(s).map((n) => ({
        name: n,
        ecsServiceName: this.services[n].service.name,
        desiredCount: s.services[n].desired_count,
        targetGroupArnSuffix: this.services[n].targetGroup?.arnSuffix,
      })),
      // arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id> → app/<name>/<id>
      loadBalancerArnSuffix: Fn.element(Fn.split(":loadbalancer/", albArn), 1),
      natGatewayIds: Object.fromEntries(natAzs.map((az) => [az, this.remoteMapEntry("10-network", "nat_gateway_ids", az)])),
      emailAddresses: s.alerts.email_addresses,
      slack: s.alerts.slack ? { workspaceId: s.alerts.slack.workspace_id, channelId: s.alerts.slack.channel_id } : undefined,
      runbookUrl: s.alerts.runbook_url,
      tasksBelowDesiredMinutes: s.alerts.tasks_below_desired_minutes,
      target5xxPer5m: s.alerts.target_5xx_per_5m,
      alb5xxPer5m: s.alerts.alb_5xx_per_5m,
    });
  }

  /** The gateway's container secrets: each tenant's generated password per role, as start.sh reads them. */
  private gatewaySecrets(): Record<string, string> {
    return Object.fromEntries(
      tenants(this.settings).flatMap((t, i) =>
        gatewayRoles(this.settings).map((role) => [gatewayPasswordEnv(i, role), this.remoteMapEntry("40-iam", "secret_arns", gatewaySecretKey(t.id, role))]),
      ).concat([[GATEWAY_META_PASSWORD_ENV, this.metaReadSecret()]]),
    );
  }

  /** The self-monitoring tenant's read password (40-iam), which the gateway checks and Grafana sends. */
  private metaReadSecret(): string {
    return this.remoteMapEntry("40-iam", "secret_arns", gatewaySecretKey(this.settings.self_monitoring.tenant, "read"));
  }

  /** Grafana's container secrets: its admin password, the external database's password and the OIDC client secret when set. */
  private grafanaSecrets(): Record<string, string> {
    const secrets: Record<string, string> = { [GRAFANA_ADMIN_PASSWORD_ENV]: this.remoteMapEntry("40-iam", "secret_arns", "grafana_admin_password") };
    // Each tenant's gateway read password, which its datasources send (basic auth; the provisioning
    // file names the variable), and the self-monitoring tenant's: never a write or admin password.
    tenants(this.settings).forEach((t, i) => {
      secrets[grafanaReadPasswordEnv(i)] = this.remoteMapEntry("40-iam", "secret_arns", gatewaySecretKey(t.id, "read"));
    });
    secrets[GRAFANA_META_PASSWORD_ENV] = this.metaReadSecret();
    const database = grafanaDatabase(this.settings);
    if (database) secrets[GRAFANA_DATABASE_PASSWORD_ENV] = database.passwordValueFrom;
    // grafana.sso: the IdP's client secret, from the secret the settings name (never a plain value).
    const sso = this.settings.grafana.sso;
    if (sso?.type === "oidc" && sso.client_secret_arn) secrets[GRAFANA_OAUTH_CLIENT_SECRET_ENV] = sso.client_secret_arn;
    return secrets;
  }

  private registry?: string;

  /** An upstream image reference as the account's ECR pull-through cache serves it (settings/checks.ts vouches for the registry). */
  private cached(reference: string): string {
    if (this.registry === undefined) {
      const account = new DataAwsCallerIdentity(this, "account").accountId;
      this.registry = `${account}.dkr.ecr.${this.settings.aws.region}.amazonaws.com`;
    }
    const cached = pullThroughReference(reference, this.registry);
    if (cached === undefined) throw new Error(`${reference} is on a registry the pull-through cache has no rule for`);
    return cached;
  }

  /** Grafana's data path on its EFS access point: users, API keys and UI-saved dashboards survive every task. */
  private grafanaEfsVolume() {
    return {
      volumes: [
        EfsFileSystem.volume(
          GRAFANA_DATA_VOLUME,
          this.remoteString("30-storage", "grafana_file_system_id"),
          this.remoteString("30-storage", "grafana_access_point_id"),
        ),
      ],
      mountPoints: [{ sourceVolume: GRAFANA_DATA_VOLUME, containerPath: DATA_DIRS.grafana, readOnly: false }],
    };
  }

  /**
   * Grafana's `/metrics` is served without login (Grafana's `[metrics]` section has no basic auth
   * unless configured), and the catch-all would forward it from the internet. A fixed 404 at a
   * priority before every other rule answers it on the public listener; Alloy's self-monitoring
   * scrape reaches the task directly inside the VPC (its security-group rule, `CONSUMERS`), never
   * through the ALB, so it keeps working without a credential. Which paths: `privateAlbPaths`.
   */
  private privatePathsRule(listenerArn: string): LbListenerRule | undefined {
    const paths = privateAlbPaths(this.settings);
    if (paths.length === 0) return undefined;
    return new LbListenerRule(this, "default_service_private_paths", {
      listenerArn,
      priority: PRIVATE_PATHS_PRIORITY,
      condition: [{ pathPattern: { values: paths } }],
      action: [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not found" } }],
      tags: { Name: `${this.settings.load_balancer.default_service} private paths` },
    });
  }

  /**
   * The catch-all rule: every request no service rule took goes to `load_balancer.default_service`
   * (Grafana's UI). It also keeps the other target groups attached to the ALB while no rule forwards
   * to them (no `ingest_allowed_cidrs`): ECS refuses to register a service with a target group that no
   * listener rule uses, and the target group's health check is the only readiness check these
   * services have (the stock images carry no shell for a container health check). Attached with
   * weight 0, they receive no traffic from this rule.
   */
  private defaultServiceRule(listenerArn: string, fronted: readonly ServiceName[]): LbListenerRule {
    const s = this.settings;
    const defaultName = s.load_balancer.default_service as ServiceName;
    const hasForwardRule = (n: ServiceName) => s.services[n].alb_paths.length > 0 && Object.keys(s.load_balancer.ingest_allowed_cidrs).length > 0;
    const attached = fronted.filter((n) => n !== defaultName && !hasForwardRule(n));
    if (attached.length + 1 > MAX_TARGET_GROUPS_PER_ACTION) {
      throw new Error(
        `${attached.join(", ")} are behind the ALB but no rule forwards to them (load_balancer.ingest_allowed_cidrs is empty), and one ALB rule can keep at most ${MAX_TARGET_GROUPS_PER_ACTION - 1} such target groups attached; add ingest_allowed_cidrs or remove alb_paths from some services`,
      );
    }
    const target = (n: ServiceName) => this.services[n].targetGroup!.arn;
    const rule = new LbListenerRule(this, "default_service_catch_all", {
      listenerArn,
      priority: CATCH_ALL_PRIORITY,
      condition: [{ pathPattern: { values: ["/*"] } }],
      action: [
        attached.length === 0
          ? { type: "forward", targetGroupArn: target(defaultName) }
          : {
              type: "forward",
              forward: {
                targetGroup: [
                  { arn: target(defaultName), weight: 1 },
                  ...attached.map((n) => ({ arn: target(n), weight: 0 })),
                ],
              },
            },
      ],
      tags: { Name: `${defaultName} catch-all` },
    });
    for (const n of [defaultName, ...attached]) this.services[n].addDependency(rule);
    return rule;
  }
}

/**
 * Paths of the default service (the catch-all's target) that must not answer from the internet: its
 * own Prometheus metrics (`COMPONENTS.<service>.metricsPath`, Grafana's `/metrics`), exact and with
 * anything below it. ALB path patterns are case-sensitive, like Grafana's router.
 */
export function privateAlbPaths(s: Settings): string[] {
  const service = s.load_balancer.default_service as ServiceName;
  if (COMPONENTS[service].metricsPath === undefined) return [];
  const metrics = servedMetricsPath(service, s.services[service].path_prefix);
  return [metrics, `${metrics}/*`];
}

/** Container ports from the catalog; the HTTP port first. Memberlist gets TCP and UDP. */
export function containerPorts(s: Settings, name: ServiceName): ContainerPort[] {
  return taskPorts(s, name).flatMap((p) => p.protocols.map((protocol) => ({ containerPort: p.port, protocol })));
}

/**
 * The plain environment every service gets: region, tenant, and for components that store data, the
 * data bucket and their storage prefixes (`LGTM_S3_PREFIX_<STORAGE_PREFIX_KEY>`). The configs have
 * these values rendered in; the variables let an operator see them from inside a task. Secrets
 * never go here.
 */
export function baseEnvironment(s: Settings, name: ServiceName, bucketName: string): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: s.aws.region, LGTM_TENANT_ID: s.tenant_id };
  const prefixes = COMPONENTS[name].storagePrefixes;
  if (prefixes.length > 0) {
    env.LGTM_S3_BUCKET = bucketName;
    for (const key of prefixes) env[`LGTM_S3_PREFIX_${key.toUpperCase()}`] = s.storage_prefixes[key];
  }
  return env;
}

/** In-VPC address of each service: its Cloud Map name and HTTP port. */
/**
 * The `service_endpoints` output: each service's in-VPC base URL (by service name), then where
 * senders go, per signal (`gateway.<signal>_*`: through the authenticating gateway, in the VPC at
 * gateway.<namespace>; from outside at the ALB on the same paths), and per tenant the basic-auth user
 * and the Secrets Manager secret holding its password (`tenant.<id>`).
 */
export function serviceEndpoints(s: Settings): Record<string, string> {
  const gw = serviceEndpoint(s, "gateway");
  const routes = gatewayRoutes(s);
  /** The first ingest route of a signal, as a URL. */
  const push = (signal: string) => `${gw}${routes.find((r) => r.signal === signal && r.role === "write")!.path}`;
  /** Where a backend's query API starts (a client's datasource URL; it appends the API's paths). */
  const query = (producer: "mimir" | "loki" | "tempo" | "pyroscope") => `${gw}${gatewayQueryBase(s, producer)}`;
  const served = gatewaySignals(s);
  return {
    ...byService(s, (n) => serviceEndpoint(s, n)),
    "gateway.metrics_push": push("metrics"),
    "gateway.metrics_query": query("mimir"),
    "gateway.logs_push": push("logs"),
    "gateway.logs_query": query("loki"),
    "gateway.traces_query": query("tempo"),
    ...(served.includes("profiles") ? { "gateway.profiles_push": push("profiles"), "gateway.profiles_query": query("pyroscope") } : {}),
    "gateway.otlp_http": `${gw}${GATEWAY_OTLP_BASE}`,
    ...Object.fromEntries(
      tenants(s).map((t) => [
        `tenant.${t.id}`,
        `user "${t.id}", passwords in Secrets Manager ${gatewayRoles(s)
          .map((role) => `${gatewaySecretName(s, t.id, role)} (${role})`)
          .join(", ")}; signals: ${(s.tenants[t.id]?.signals ?? SIGNALS).filter((x) => served.includes(x)).join(", ")}`,
      ]),
    ),
  };
}

/** One entry per enabled service (services.<name>.enabled). */
function byService<T>(s: Settings, f: (n: ServiceName) => T): Partial<Record<ServiceName, T>> {
  return Object.fromEntries(enabledServices(s).map((n) => [n, f(n)])) as Partial<Record<ServiceName, T>>;
}
