/**
 * SecurityGroup: one VPC security group whose rules are separate resources, one per rule.
 *
 * Owns the `aws_security_group` (with no inline rules, so Terraform also removes AWS's default
 * allow-all egress) and its `aws_vpc_security_group_ingress_rule` / `..._egress_rule` resources.
 * Every rule is one protocol and one port (TCP or UDP; "all traffic" cannot be expressed), carries a
 * description, and gets a readable address: a rule added as "from_alb_http" on the group with
 * construct id "mimir" is `aws_vpc_security_group_ingress_rule.mimir_from_alb_http`.
 *
 * `allowFrom` is the aws-cdk `Connections` idea: traffic between two groups needs an ingress rule on
 * the receiver and an egress rule on the sender, so one call writes both and they cannot drift.
 * Modelled on terraform-aws-modules/security-group (named rules, one resource per rule) and aws-cdk's
 * `ec2.SecurityGroup` (`allowAllOutbound: false`).
 */
import { Construct } from "constructs";
import { SecurityGroup as AwsSecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";

export interface SecurityGroupProps {
  /** VPC of the group. */
  readonly vpcId: string;
  /** Group name (unique in the VPC). */
  readonly name: string;
  /** What the group is for. Changing it replaces the group, so keep it stable. */
  readonly description: string;
  /**
   * Name used for this group in the other group's rule ids when `allowFrom` connects two groups
   * ("alb" gives `mimir_from_alb_http` and `alb_to_mimir_http`). @default the construct id
   */
  readonly label?: string;
  /** Extra tags; a Name tag equal to `name` is always set. @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** One port of one protocol, allowed for one reason. */
export interface PortRule {
  /** The port (a single port: no rule here needs a range). */
  readonly port: number;
  /** Transport protocol. @default "tcp" */
  readonly protocol?: "tcp" | "udp";
  /** Why the rule exists, shown in the console and in plans (at most 255 characters). */
  readonly description: string;
}

/** Characters EC2 accepts in a security-group rule description. */
const DESCRIPTION_RE = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

export class SecurityGroup extends Construct {
  readonly group: AwsSecurityGroup;
  /** The name of this group in the rule ids of the groups it is connected to. */
  readonly label: string;

  constructor(scope: Construct, id: string, props: SecurityGroupProps) {
    super(scope, id);
    this.label = props.label ?? id;
    this.group = new AwsSecurityGroup(this, "sg", {
      name: props.name,
      description: props.description,
      vpcId: props.vpcId,
      // No `ingress`/`egress` blocks: rules are their own resources (mixing both makes Terraform
      // fight itself), and Terraform deletes the allow-all egress AWS adds to a new group.
      tags: { ...props.tags, Name: props.name },
    });
  }

  /** The group id. */
  get id(): string {
    return this.group.id;
  }

  /** Ingress from an IPv4 CIDR; the rule's construct id is `ruleId`. */
  allowIngressFromCidr(ruleId: string, cidr: string, rule: PortRule): VpcSecurityGroupIngressRule {
    return new VpcSecurityGroupIngressRule(this, ruleId, { securityGroupId: this.id, cidrIpv4: cidr, ...portFields(rule, this.node.path) });
  }

  /**
   * Ingress from a security group this construct does not own (by id, e.g. a sender's group in the
   * same VPC); its egress is its owner's business. The rule's construct id is `ruleId`.
   */
  allowIngressFromGroupId(ruleId: string, groupId: string, rule: PortRule): VpcSecurityGroupIngressRule {
    return new VpcSecurityGroupIngressRule(this, ruleId, { securityGroupId: this.id, referencedSecurityGroupId: groupId, ...portFields(rule, this.node.path) });
  }

  /** Egress to an IPv4 CIDR; the rule's construct id is `ruleId`. */
  allowEgressToCidr(ruleId: string, cidr: string, rule: PortRule): VpcSecurityGroupEgressRule {
    return new VpcSecurityGroupEgressRule(this, ruleId, { securityGroupId: this.id, cidrIpv4: cidr, ...portFields(rule, this.node.path) });
  }

  /**
   * Traffic from `source` to this group on one port: an ingress rule here (`from_<source>_<name>`)
   * and the matching egress rule on the source (`to_<this>_<name>`). With `source === this` the
   * rules are `from_self_<name>` and `to_self_<name>`: members of the group talking to each other.
   */
  allowFrom(source: SecurityGroup, name: string, rule: PortRule): { ingress: VpcSecurityGroupIngressRule; egress: VpcSecurityGroupEgressRule } {
    const self = source === this;
    const ingress = new VpcSecurityGroupIngressRule(this, `from_${self ? "self" : source.label}_${name}`, {
      securityGroupId: this.id,
      referencedSecurityGroupId: source.id,
      ...portFields(rule, this.node.path),
    });
    const egress = new VpcSecurityGroupEgressRule(source, `to_${self ? "self" : this.label}_${name}`, {
      securityGroupId: source.id,
      referencedSecurityGroupId: this.id,
      ...portFields(rule, source.node.path),
    });
    return { ingress, egress };
  }
}

function portFields(rule: PortRule, where: string) {
  if (!Number.isInteger(rule.port) || rule.port < 1 || rule.port > 65535) {
    throw new Error(`${where}: security-group rule port must be 1-65535, got ${rule.port}`);
  }
  if (!DESCRIPTION_RE.test(rule.description)) {
    throw new Error(
      `${where}: security-group rule description "${rule.description}" must be at most 255 characters of letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*`,
    );
  }
  return { ipProtocol: rule.protocol ?? "tcp", fromPort: rule.port, toPort: rule.port, description: rule.description };
}
