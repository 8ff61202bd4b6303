/**
 * 10-network: the VPC every other layer runs in.
 *
 * Owns the VPC, one public and one private subnet per AZ of `network.availability_zones`, the
 * internet gateway, NAT gateways (`network.nat_gateways`: one per AZ or a single one), route tables,
 * the S3 gateway endpoint, the optional interface endpoints of `network.interface_endpoints`, and
 * the locked-down default security group, and, with `audit_logs.vpc_flow_logs`, the VPC's flow log
 * (all traffic) into the log bucket. Publishes the ids the other layers place things in.
 */
import type { Construct } from "constructs";
import { Network } from "../modules/network";
import { AUDIT_LOG_PREFIXES, auditLogBucket, namePrefix, securityGroupName } from "../settings";
import { LayerStack, type LayerStackProps } from "./layer-stack";

export class NetworkStack extends LayerStack<"10-network"> {
  readonly network: Network;

  constructor(scope: Construct, props: LayerStackProps) {
    super(scope, "10-network", props);
    const s = this.settings;
    const n = s.network;
    this.network = new Network(this, "network", {
      namePrefix: namePrefix(s),
      region: s.aws.region,
      vpcCidr: n.vpc_cidr,
      availabilityZones: n.availability_zones,
      publicSubnetCidrs: n.public_subnet_cidrs,
      privateSubnetCidrs: n.private_subnet_cidrs,
      natGateways: n.nat_gateways,
      interfaceEndpoints: n.interface_endpoints,
      endpointSecurityGroupName: securityGroupName(s, "vpc-endpoints"),
      flowLogBucket: auditLogBucket(s, "vpc_flow_logs"),
      flowLogPrefix: AUDIT_LOG_PREFIXES.vpcFlowLogs,
    });

    this.publish("vpc_id", this.network.vpc.id);
    this.publish("vpc_cidr", this.network.vpc.cidrBlock);
    // The settings' own list: subnet lists below follow the same order, so index i is one AZ.
    this.publish("availability_zones", [...n.availability_zones]);
    this.publish("public_subnet_ids", this.network.publicSubnets.map((x) => x.id));
    this.publish("private_subnet_ids", this.network.privateSubnets.map((x) => x.id));
    this.publish("private_route_table_ids", this.network.privateRouteTables.map((x) => x.id));
    this.publish("nat_gateway_ids", Object.fromEntries(Object.entries(this.network.natGateways).map(([az, nat]) => [az, nat.id])));
  }
}
