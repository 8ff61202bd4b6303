/**
 * DnsValidatedCertificate: an ACM certificate for one name, validated through a record in a Route 53
 * hosted zone of the same account, so it is issued and renewed with nobody clicking anything.
 *
 * Owns the certificate (DNS validation, created before the old one is destroyed when the name
 * changes), the validation CNAME in the zone, and the validation waiter: `certificateArn` is the
 * waiter's output, so a listener that uses it is created only once the certificate is issued.
 * Modelled on aws-cdk's `acm.Certificate` with `CertificateValidation.fromDns(zone)`.
 */
import { Construct } from "constructs";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";

export interface DnsValidatedCertificateProps {
  /** The certificate's only name, e.g. "grafana.example.com". */
  readonly domainName: string;
  /** Route 53 hosted zone that holds the name and gets the validation record. */
  readonly zoneId: string;
  /** TTL of the validation record in seconds. @default 300 */
  readonly validationRecordTtl?: number;
}

export class DnsValidatedCertificate extends Construct {
  readonly certificate: AcmCertificate;
  readonly validationRecord: Route53Record;
  readonly validation: AcmCertificateValidation;
  /** ARN of the issued certificate (known once validation has completed). */
  readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: DnsValidatedCertificateProps) {
    super(scope, id);
    this.certificate = new AcmCertificate(this, "certificate", {
      domainName: props.domainName,
      validationMethod: "DNS",
      // Transparency logging stays on: the name is public anyway, and browsers expect it.
      lifecycle: { createBeforeDestroy: true },
      tags: { Name: props.domainName },
    });
    // One name, so one validation option.
    const option = this.certificate.domainValidationOptions.get(0);
    this.validationRecord = new Route53Record(this, "validation_record", {
      zoneId: props.zoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: props.validationRecordTtl ?? 300,
      // A re-created certificate for the same name has the same validation record.
      allowOverwrite: true,
    });
    this.validation = new AcmCertificateValidation(this, "validation", {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: [this.validationRecord.fqdn],
    });
    this.certificateArn = this.validation.certificateArn;
  }
}
