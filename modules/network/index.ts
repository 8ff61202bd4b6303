/**
 * Network: a VPC with one public and one private subnet per availability zone, laid out for
 * services that run in private subnets behind a public load balancer.
 *
 * Owns the VPC (DNS support and hostnames on, so Cloud Map and interface-endpoint private DNS
 * resolve), the VPC's default security group (locked down: no rules, so nothing that lands in it by
 * accident can talk to anything), the internet gateway, NAT gateways with their Elastic IPs (one per
 * AZ, or a single one), the public route table, one private route table per AZ, the S3 gateway
 * endpoint on the private route tables, and optional interface endpoints in the private subnets with
 * their own security group (HTTPS from the VPC only), and optionally the VPC's flow log (all
 * traffic, 10-minute aggregation) into an S3 log bucket.
 *
 * Modelled on terraform-aws-modules/vpc (subnet, route-table and NAT layout, `single_nat_gateway`,
 * `manage_default_security_group`) and aws-cdk's `ec2.Vpc`. AZ names are given, never looked up:
 * a plan must not depend on what an account's AZ list happens to return.
 */
import { Construct } from "constructs";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";

/** How many NAT gateways: one per AZ (an AZ loss cuts no other AZ off), or one shared (cheaper). */
export type NatGatewayMode = "per_az" | "single";

export interface NetworkProps {
  /** Prefix of every Name tag, e.g. "lgtm-prod" gives "lgtm-prod-public-ap-northeast-2a". */
  readonly namePrefix: string;
  /** Region of the VPC; endpoint service names are `com.amazonaws.<region>.<service>`. */
  readonly region: string;
  /** Primary IPv4 CIDR of the VPC. */
  readonly vpcCidr: string;
  /** AZ names, e.g. ["ap-northeast-2a", "ap-northeast-2c"]; subnet lists follow this order. */
  readonly availabilityZones: readonly string[];
  /** One public subnet CIDR per AZ, in `availabilityZones` order (load balancer and NAT only). */
  readonly publicSubnetCidrs: readonly string[];
  /** One private subnet CIDR per AZ, in `availabilityZones` order (tasks and endpoints). */
  readonly privateSubnetCidrs: readonly string[];
  /** NAT gateway layout. @default "per_az" */
  readonly natGateways?: NatGatewayMode;
  /**
   * Interface endpoints to create in the private subnets, by service suffix: "ecr.api" becomes
   * `com.amazonaws.<region>.ecr.api`. @default [] (none; traffic to AWS APIs goes through NAT)
   */
  readonly interfaceEndpoints?: readonly string[];
  /** Name of the interface endpoints' security group. @default "<namePrefix>-vpc-endpoints" */
  readonly endpointSecurityGroupName?: string;
  /** S3 bucket receiving the VPC's flow logs (all traffic). @default none: no flow log */
  readonly flowLogBucket?: string;
  /** Key prefix of the flow logs in that bucket. @default "vpc-flow-logs" */
  readonly flowLogPrefix?: string;
}

/** AWS APIs are HTTPS; interface endpoints accept nothing else. */
const HTTPS_PORT = 443;

export class Network extends Construct {
  readonly vpc: Vpc;
  /** Public subnets, in AZ order. */
  readonly publicSubnets: Subnet[] = [];
  /** Private subnets, in AZ order. */
  readonly privateSubnets: Subnet[] = [];
  /** Private route tables, in AZ order (one per AZ, whatever the NAT layout). */
  readonly privateRouteTables: RouteTable[] = [];
  /** NAT gateways by AZ name (one entry in "single" mode: the first AZ). */
  readonly natGateways: Record<string, NatGateway> = {};
  /** Interface endpoints by service suffix ("ecr.api"). */
  readonly interfaceEndpoints: Record<string, VpcEndpoint> = {};
  /** Security group of the interface endpoints, when any are created. */
  readonly endpointSecurityGroup?: SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const azs = props.availabilityZones;
    if (azs.length === 0) throw new Error("Network needs at least one availability zone");
    for (const [what, list] of [
      ["publicSubnetCidrs", props.publicSubnetCidrs],
      ["privateSubnetCidrs", props.privateSubnetCidrs],
    ] as const) {
      if (list.length !== azs.length) {
        throw new Error(`Network needs one ${what} entry per availability zone (${azs.length}), got ${list.length}`);
      }
    }
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });
    // Construct ids carry the AZ name, not the list index: adding an AZ, or switching from one NAT
    // to one per AZ, leaves the existing resources where they are in the plan.
    const azId = (az: string) => az.replace(/[^A-Za-z0-9]/g, "-");

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: name("vpc"),
    });

    if (props.flowLogBucket) {
      const partition = new DataAwsPartition(this, "partition").partition;
      new FlowLog(this, "flow_log", {
        vpcId: this.vpc.id,
        trafficType: "ALL",
        logDestinationType: "s3",
        // Flow logs add AWSLogs/<account>/vpcflowlogs/<region>/... below this prefix.
        logDestination: `arn:${partition}:s3:::${props.flowLogBucket}/${props.flowLogPrefix ?? "vpc-flow-logs"}/`,
        maxAggregationInterval: 600,
        tags: name("flow-log"),
      });
    }

    // No ingress or egress blocks: Terraform removes every rule of the default group, so a resource
    // created without a security group gets no network access instead of the default allow-all.
    new DefaultSecurityGroup(this, "default_security_group", {
      vpcId: this.vpc.id,
      tags: name("default-unused"),
    });

    const igw = new InternetGateway(this, "internet_gateway", { vpcId: this.vpc.id, tags: name("igw") });

    azs.forEach((az, i) => {
      this.publicSubnets.push(
        new Subnet(this, `public_subnet_${azId(az)}`, {
          vpcId: this.vpc.id,
          availabilityZone: az,
          cidrBlock: props.publicSubnetCidrs[i],
          // Only the load balancer and the NAT gateways live here; both get their public addresses
          // explicitly. Anything else launched here by mistake stays unreachable from the internet.
          mapPublicIpOnLaunch: false,
          tags: name(`public-${az}`),
        }),
      );
      this.privateSubnets.push(
        new Subnet(this, `private_subnet_${azId(az)}`, {
          vpcId: this.vpc.id,
          availabilityZone: az,
          cidrBlock: props.privateSubnetCidrs[i],
          mapPublicIpOnLaunch: false,
          tags: name(`private-${az}`),
        }),
      );
    });

    const publicRoutes = new RouteTable(this, "public_routes", { vpcId: this.vpc.id, tags: name("public") });
    new Route(this, "public_to_internet", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    azs.forEach((az, i) => {
      new RouteTableAssociation(this, `public_subnet_${azId(az)}_routes`, {
        subnetId: this.publicSubnets[i].id,
        routeTableId: publicRoutes.id,
      });
    });

    // NAT gateways sit in the public subnets. "single" keeps only the first AZ's.
    const natAzs = (props.natGateways ?? "per_az") === "per_az" ? azs : azs.slice(0, 1);
    natAzs.forEach((az) => {
      const i = azs.indexOf(az);
      const ip = new Eip(this, `nat_${azId(az)}_ip`, { domain: "vpc", tags: name(`nat-${az}`), dependsOn: [igw] });
      this.natGateways[az] = new NatGateway(this, `nat_${azId(az)}`, {
        allocationId: ip.allocationId,
        subnetId: this.publicSubnets[i].id,
        tags: name(`nat-${az}`),
        // A NAT gateway created before the VPC has its internet gateway cannot route out.
        dependsOn: [igw],
      });
    });

    azs.forEach((az, i) => {
      const routes = new RouteTable(this, `private_routes_${azId(az)}`, { vpcId: this.vpc.id, tags: name(`private-${az}`) });
      this.privateRouteTables.push(routes);
      // Each AZ's own NAT when there is one, so an AZ outage does not cut the others off.
      const nat = this.natGateways[az] ?? this.natGateways[natAzs[0]];
      new Route(this, `private_${azId(az)}_to_nat`, {
        routeTableId: routes.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: nat.id,
      });
      new RouteTableAssociation(this, `private_subnet_${azId(az)}_routes`, {
        subnetId: this.privateSubnets[i].id,
        routeTableId: routes.id,
      });
    });

    // S3 is the services' storage: a gateway endpoint keeps that traffic off the NAT gateways
    // (no per-GB NAT charge, no dependency on NAT for the data path) and costs nothing.
    new VpcEndpoint(this, "s3_endpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: this.privateRouteTables.map((t) => t.id),
      tags: name("s3"),
    });

    const endpoints = [...new Set(props.interfaceEndpoints ?? [])];
    if (endpoints.length > 0) {
      const sg = new SecurityGroup(this, "endpoints_security_group", {
        name: props.endpointSecurityGroupName ?? `${props.namePrefix}-vpc-endpoints`,
        description: "Interface VPC endpoints: HTTPS from inside the VPC only",
        vpcId: this.vpc.id,
        tags: name("vpc-endpoints"),
      });
      this.endpointSecurityGroup = sg;
      new VpcSecurityGroupIngressRule(this, "endpoints_from_vpc_https", {
        securityGroupId: sg.id,
        description: "HTTPS to the AWS API endpoints from anything in the VPC",
        ipProtocol: "tcp",
        fromPort: HTTPS_PORT,
        toPort: HTTPS_PORT,
        cidrIpv4: this.vpc.cidrBlock,
        tags: name("endpoints-from-vpc-https"),
      });
      // No egress rules: an endpoint only answers, and security groups are stateful.
      for (const service of endpoints) {
        this.interfaceEndpoints[service] = new VpcEndpoint(this, `endpoint_${service.replace(/[^A-Za-z0-9]/g, "_")}`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${props.region}.${service}`,
          vpcEndpointType: "Interface",
          subnetIds: this.privateSubnets.map((s) => s.id),
          securityGroupIds: [sg.id],
          // The public API name (e.g. api.ecr.<region>.amazonaws.com) resolves to the endpoint inside
          // the VPC, so tasks need no endpoint-specific configuration.
          privateDnsEnabled: true,
          tags: name(service),
        });
      }
    }
  }
}
