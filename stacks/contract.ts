/**
 * The outputs contract between layers: what each layer publishes, for whom, and what it means.
 *
 * A producing layer must publish every output listed for it (checked at synth); a consuming layer
 * can only read names listed here (checked by the type system), through `terraform_remote_state`
 * named after the layer (`data.terraform_remote_state.network.outputs.vpc_id`). Renaming an output
 * is therefore a change to this file that every consumer sees. Map outputs are keyed by service
 * name (`mimir`, `loki`, ...).
 */

export const LAYERS = ["00-bootstrap", "10-network", "20-security", "30-storage", "40-iam", "50-loadbalancer", "60-ecs"] as const;
export type LayerId = (typeof LAYERS)[number];

/** The short name of a layer: the remote-state data source name and the Layer tag. */
export const layerShortName = (layer: LayerId) => layer.slice(3);

export type OutputKind = "string" | "list" | "map";

export interface OutputSpec {
  readonly kind: OutputKind;
  readonly description: string;
}

export const LAYER_OUTPUTS = {
  "00-bootstrap": {
    state_bucket_name: { kind: "string", description: "S3 bucket that holds every other layer's state" },
    state_bucket_arn: { kind: "string", description: "ARN of the state bucket" },
  },
  "10-network": {
    vpc_id: { kind: "string", description: "VPC of the stack" },
    vpc_cidr: { kind: "string", description: "Primary CIDR of the VPC" },
    availability_zones: { kind: "list", description: "AZ names, in subnet order" },
    public_subnet_ids: { kind: "list", description: "Public subnets (ALB, NAT gateways), one per AZ" },
    private_subnet_ids: { kind: "list", description: "Private subnets (ECS tasks, endpoints), one per AZ" },
    private_route_table_ids: { kind: "list", description: "Route tables of the private subnets" },
    nat_gateway_ids: { kind: "map", description: "NAT gateway ids, by AZ (every AZ with network.nat_gateways = per_az, the first one with single)" },
  },
  "20-security": {
    alb_security_group_id: { kind: "string", description: "Security group of the public ALB" },
    task_security_group_ids: { kind: "map", description: "Security group of each service's tasks, by service" },
    efs_security_group_id: { kind: "string", description: "Security group of the Grafana EFS mount targets (NFS from Grafana's tasks only); empty when grafana.database is external" },
    cache_security_group_id: { kind: "string", description: "Security group of the memcached query cache tasks (cache.port from Mimir and Loki only); empty when cache.enabled is false" },
  },
  "30-storage": {
    data_bucket_name: { kind: "string", description: "Bucket holding every component's data under its prefix" },
    data_bucket_arn: { kind: "string", description: "ARN of the data bucket" },
    data_bucket_kms_key_arn: { kind: "string", description: "KMS key of the data bucket's encryption; empty when kms.data_bucket is off" },
    ecr_repository_urls: { kind: "map", description: "ECR repository URL of each service, by service; empty when image_source is not \"ecr\" (no lgtm-<service> repositories then)" },
    ecr_repository_arns: { kind: "map", description: "ECR repository ARN of each service, by service; empty when image_source is not \"ecr\"" },
    grafana_file_system_id: { kind: "string", description: "EFS file system holding Grafana's database; empty when grafana.database is external" },
    grafana_file_system_arn: { kind: "string", description: "ARN of that file system; empty when grafana.database is external" },
    grafana_access_point_id: { kind: "string", description: "EFS access point Grafana mounts (uid/gid 472); empty when grafana.database is external" },
    grafana_access_point_arn: { kind: "string", description: "ARN of that access point; empty when grafana.database is external" },
  },
  "40-iam": {
    task_execution_role_arn: { kind: "string", description: "Role ECS uses to pull images, write logs and read the task secrets" },
    task_role_arns: { kind: "map", description: "Role each service's containers run as, by service" },
    secret_arns: { kind: "map", description: "Secrets Manager secrets the tasks read, by purpose (grafana_admin_password; gateway_<tenant>_<role> for each tenant's gateway password per role)" },
    gateway_secret_arns: {
      kind: "map",
      description:
        "Each tenant's gateway passwords, by tenant id then role: write (push routes only), read (query routes only), admin (only while gateway.admin_routes opens a route); plus the self-monitoring tenant's read password (Grafana's self-monitoring datasource); secret names <project>/<env>/gateway/<tenant>/<role>",
    },
  },
  "50-loadbalancer": {
    alb_arn: { kind: "string", description: "ARN of the public ALB" },
    alb_dns_name: { kind: "string", description: "DNS name of the public ALB" },
    alb_zone_id: { kind: "string", description: "Route 53 zone id of the ALB, for alias records" },
    listener_arn: { kind: "string", description: "Listener that carries the service rules (443 with a certificate, else 80)" },
    cloud_map_namespace_id: { kind: "string", description: "Cloud Map private DNS namespace id" },
    cloud_map_namespace_name: { kind: "string", description: "Cloud Map namespace name, e.g. lgtm.local" },
    web_acl_arn: { kind: "string", description: "ARN of the AWS WAF web ACL associated with the ALB; empty when load_balancer.waf.enabled is false" },
    waf_log_group_name: { kind: "string", description: "CloudWatch log group of the requests the web ACL blocked or counted (aws-waf-logs-<project>-<env>); empty when load_balancer.waf.enabled is false" },
  },
  "60-ecs": {
    cluster_name: { kind: "string", description: "ECS cluster name" },
    cluster_arn: { kind: "string", description: "ECS cluster ARN" },
    service_names: { kind: "map", description: "ECS service name of each component, by service" },
    task_definition_arns: { kind: "map", description: "Current task definition ARN of each component, by service" },
    service_endpoints: { kind: "map", description: "In-VPC address of each component by service; the gateway's endpoints per signal (gateway.<signal>_*); each tenant's user and password secret (tenant.<id>)" },
    alerts_topic_arn: { kind: "string", description: "SNS topic every alert goes to (AWS alarms, task events, Grafana's contact point): the one place to subscribe" },
    cache_address: { kind: "string", description: "Address of the memcached query cache as Mimir and Loki use it (dns+memcached.<namespace>:<port>); empty when cache.enabled is false" },
  },
} as const satisfies Record<LayerId, Record<string, OutputSpec>>;

export type OutputsOf<L extends LayerId> = keyof (typeof LAYER_OUTPUTS)[L] & string;
type KindOf<L extends LayerId, O extends OutputsOf<L>> = ((typeof LAYER_OUTPUTS)[L][O] & OutputSpec)["kind"];
/** Output names of layer L with the given kind. */
export type OutputsOfKind<L extends LayerId, K extends OutputKind> = {
  [O in OutputsOf<L>]: KindOf<L, O> extends K ? O : never;
}[OutputsOf<L>];

/** Which layers each layer reads. The stack dependencies (deploy order) follow from this. */
export const LAYER_READS: Readonly<Record<LayerId, readonly LayerId[]>> = {
  "00-bootstrap": [],
  "10-network": [],
  "20-security": ["10-network"],
  // The EFS mount targets of Grafana's file system sit in the private subnets behind 20-security's EFS group.
  "30-storage": ["10-network", "20-security"],
  "40-iam": ["30-storage"],
  "50-loadbalancer": ["10-network", "20-security"],
  "60-ecs": ["10-network", "20-security", "30-storage", "40-iam", "50-loadbalancer"],
};

/** S3 key of a layer's state. */
export const stateKey = (env: string, layer: LayerId) => `${env}/${layer}/terraform.tfstate`;
/** Stack id, as `cdktf deploy` takes it. */
export const stackId = (env: string, layer: LayerId) => `${env}-${layer}`;
