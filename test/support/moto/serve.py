"""
moto in server mode over TLS, for the emulator tier (test/emulator/, test/support/moto.ts), with the
few AWS APIs moto 5.2.1 lacks and the stack calls added here, in this process only: nothing in the
product changes for them. Each extension says what moto lacks.

    python3 serve.py <port> <cert.pem> <key.pem>

The account every request is answered for is MOTO_ACCOUNT_ID (moto reads it per request): one server
per environment, as each environment has its own account (environments/<env>.tfvars
aws.allowed_account_ids). moto 5.2.1 does not take the account from a 12-digit access key id: it looks
the key up among the IAM keys it created and falls back to 123456789012.

Test-time fixtures the stack expects to exist before it is applied (README: created by hand) come
from MOTO_FIXTURES, a JSON file: {"hosted_zones": [{"id": "...", "name": "..."}], "s3_buckets": [...],
"ecr_repositories": [...]} (made in MOTO_REGION).
"""
import json
import os
import sys
import threading

from moto.server import main

# ---------------------------------------------------------------------------------------------
# EFS: moto answers DescribeBackupPolicy but has no PutBackupPolicy (aws_efs_backup_policy).
# ---------------------------------------------------------------------------------------------
from moto.efs.responses import EFSResponse

_backup = {}


def put_backup_policy(self):
    fs_id = self._get_param("FileSystemId")
    if fs_id not in self.efs_backend.file_systems_by_id:
        return json.dumps({"ErrorCode": "FileSystemNotFound", "Message": fs_id}), {"status": 404, "x-amzn-ErrorType": "FileSystemNotFound"}
    status = (self._get_param("BackupPolicy") or {}).get("Status", "DISABLED")
    _backup[fs_id] = status
    fs = self.efs_backend.file_systems_by_id[fs_id]
    fs._backup = status == "ENABLED"
    return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}


def describe_backup_policy(self):
    fs_id = self._get_param("FileSystemId")
    if fs_id in _backup and fs_id in self.efs_backend.file_systems_by_id:
        return json.dumps({"BackupPolicy": {"Status": _backup[fs_id]}}), {"Content-Type": "application/json"}
    return _original_describe_backup_policy(self)


# ... and no DeleteFileSystemPolicy (the destroy of aws_efs_file_system_policy).
def delete_file_system_policy(self):
    fs_id = self._get_param("FileSystemId")
    if fs_id not in self.efs_backend.file_systems_by_id:
        return json.dumps({"ErrorCode": "FileSystemNotFound", "Message": fs_id}), {"status": 404, "x-amzn-ErrorType": "FileSystemNotFound"}
    self.efs_backend.file_systems_by_id[fs_id].file_system_policy = None
    return "", {"status": 200}


EFSResponse.delete_file_system_policy = delete_file_system_policy
_original_describe_backup_policy = EFSResponse.describe_backup_policy
EFSResponse.put_backup_policy = put_backup_policy
EFSResponse.describe_backup_policy = describe_backup_policy

# ---------------------------------------------------------------------------------------------
# ECR: moto has no pull-through cache rules (aws_ecr_pull_through_cache_rule):
# Create/Describe/DeletePullThroughCacheRule, kept per account and region.
# ---------------------------------------------------------------------------------------------
from moto.ecr.responses import ECRResponse

_rules = {}
_lock = threading.Lock()


def _rule_store(self):
    return _rules.setdefault((self.current_account, self.region), {})


def _error(code, message, status=400):
    return json.dumps({"__type": code, "message": message}), {"status": status, "x-amzn-ErrorType": code}


def create_pull_through_cache_rule(self):
    prefix = self._get_param("ecrRepositoryPrefix")
    with _lock:
        store = _rule_store(self)
        if prefix in store:
            return _error("PullThroughCacheRuleAlreadyExistsException", f"rule for {prefix} exists")
        import time

        rule = {
            "ecrRepositoryPrefix": prefix,
            "upstreamRegistryUrl": self._get_param("upstreamRegistryUrl"),
            "registryId": self.current_account,
            "createdAt": time.time(),
            "updatedAt": time.time(),
        }
        for key in ("credentialArn", "upstreamRegistry", "customRoleArn", "upstreamRepositoryPrefix"):
            if self._get_param(key):
                rule[key] = self._get_param(key)
        store[prefix] = rule
    return json.dumps(rule)


def describe_pull_through_cache_rules(self):
    prefixes = self._get_param("ecrRepositoryPrefixes")
    store = _rule_store(self)
    if prefixes:
        missing = [p for p in prefixes if p not in store]
        if missing:
            return _error("PullThroughCacheRuleNotFoundException", f"no rule for {missing[0]}")
        rules = [store[p] for p in prefixes]
    else:
        rules = list(store.values())
    return json.dumps({"pullThroughCacheRules": rules})


def delete_pull_through_cache_rule(self):
    prefix = self._get_param("ecrRepositoryPrefix")
    with _lock:
        rule = _rule_store(self).pop(prefix, None)
    if rule is None:
        return _error("PullThroughCacheRuleNotFoundException", f"no rule for {prefix}")
    return json.dumps(rule)


ECRResponse.create_pull_through_cache_rule = create_pull_through_cache_rule
ECRResponse.describe_pull_through_cache_rules = describe_pull_through_cache_rules
ECRResponse.delete_pull_through_cache_rule = delete_pull_through_cache_rule

# ---------------------------------------------------------------------------------------------
# ECR: moto has no repository creation templates (aws_ecr_repository_creation_template, what ECR
# applies to the repositories a pull-through cache creates): Create/Describe/Update/Delete-
# RepositoryCreationTemplate, kept per account and region, answered with what was sent.
# ---------------------------------------------------------------------------------------------
_templates = {}
_TEMPLATE_FIELDS = ("description", "encryptionConfiguration", "resourceTags", "imageTagMutability", "repositoryPolicy", "lifecyclePolicy", "appliedFor", "customRoleArn")


def _template_store(self):
    return _templates.setdefault((self.current_account, self.region), {})


def _template_from_request(self, template):
    import time

    for key in _TEMPLATE_FIELDS:
        value = self._get_param(key)
        if value is not None:
            template[key] = value
    template.setdefault("encryptionConfiguration", {"encryptionType": "AES256"})
    template.setdefault("imageTagMutability", "MUTABLE")
    template.setdefault("resourceTags", [])
    template["updatedAt"] = time.time()
    return template


def create_repository_creation_template(self):
    import time

    prefix = self._get_param("prefix")
    with _lock:
        store = _template_store(self)
        if prefix in store:
            return _error("TemplateAlreadyExistsException", f"a template for {prefix} exists")
        store[prefix] = _template_from_request(self, {"prefix": prefix, "createdAt": time.time()})
        return json.dumps({"registryId": self.current_account, "repositoryCreationTemplate": store[prefix]})


def describe_repository_creation_templates(self):
    prefixes = self._get_param("prefixes")
    store = _template_store(self)
    found = [store[p] for p in prefixes if p in store] if prefixes else list(store.values())
    return json.dumps({"registryId": self.current_account, "repositoryCreationTemplates": found})


def update_repository_creation_template(self):
    prefix = self._get_param("prefix")
    with _lock:
        store = _template_store(self)
        if prefix not in store:
            return _error("TemplateNotFoundException", f"no template for {prefix}")
        store[prefix] = _template_from_request(self, store[prefix])
        return json.dumps({"registryId": self.current_account, "repositoryCreationTemplate": store[prefix]})


def delete_repository_creation_template(self):
    prefix = self._get_param("prefix")
    with _lock:
        template = _template_store(self).pop(prefix, None)
    if template is None:
        return _error("TemplateNotFoundException", f"no template for {prefix}")
    return json.dumps({"registryId": self.current_account, "repositoryCreationTemplate": template})


ECRResponse.create_repository_creation_template = create_repository_creation_template
ECRResponse.describe_repository_creation_templates = describe_repository_creation_templates
ECRResponse.update_repository_creation_template = update_repository_creation_template
ECRResponse.delete_repository_creation_template = delete_repository_creation_template


# ---------------------------------------------------------------------------------------------
# S3 bucket policies: moto evaluates only statements with Principal "*" and ignores their
# conditions (moto/s3/models.py put_bucket_policy: "Conditions are not taken into account"), so
# SecureBucket's deny of requests with aws:SecureTransport = false denies every request, TLS or not.
# Here a statement applies to the caller only when its principal is "*" (or {"AWS": "*"}) and every
# condition holds for this request: the server answers HTTPS only, so aws:SecureTransport is "true";
# a statement conditioned on any other key (service principals' aws:SourceAccount) does not apply to
# the account's own callers.
# ---------------------------------------------------------------------------------------------
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket

REQUEST_CONTEXT = {"aws:securetransport": "true"}


def _as_list(v):
    return v if isinstance(v, list) else [v]


def _applies_to_caller(stmt):
    principal = stmt.get("Principal")
    if principal not in ("*", {"AWS": "*"}) and not (isinstance(principal, dict) and _as_list(principal.get("AWS")) == ["*"]):
        return False
    for operator, conditions in (stmt.get("Condition") or {}).items():
        for key, expected in conditions.items():
            actual = REQUEST_CONTEXT.get(key.lower())
            if actual is None or operator not in ("Bool", "StringEquals"):
                return False
            if actual not in [str(e).lower() for e in _as_list(expected)]:
                return False
    return True


def get_permission(self, action, resource):
    if self.policy is None:
        return PermissionResult.NEUTRAL
    doc = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
    applicable = [{k: v for k, v in st.items() if k != "Condition"} for st in _as_list(doc.get("Statement", [])) if _applies_to_caller(st)]
    if not applicable:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({"Version": "2012-10-17", "Statement": applicable})).is_action_permitted(action, resource)


FakeBucket.get_permission = get_permission

# ---------------------------------------------------------------------------------------------
# S3 server access logging: moto's PutBucketLogging checks the target bucket's policy for a
# logging.s3.amazonaws.com grant whose Resource is exactly <target>/<prefix>*, <target>/* or the
# bucket; AWS matches the Resource as a wildcard pattern, so a grant of <target>/s3/* covers the
# prefix s3/<source bucket>/. Here the Resource is matched as AWS does (fnmatch on * and ?).
# ---------------------------------------------------------------------------------------------
import fnmatch

from moto.s3.models import LOGGING_SERVICE_PRINCIPAL


def _log_permissions_enabled_policy(target_bucket, target_prefix):
    if not target_bucket.policy:
        return False
    doc = json.loads(target_bucket.policy.decode())
    wanted = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}"
    for stmt in _as_list(doc["Statement"]):
        principal = stmt.get("Principal") or {}
        if not isinstance(principal, dict) or LOGGING_SERVICE_PRINCIPAL not in _as_list(principal.get("Service")):
            continue
        if stmt.get("Effect") != "Allow" or "s3:PutObject" not in _as_list(stmt.get("Action", [])):
            continue
        if any(fnmatch.fnmatchcase(wanted + "x", r) for r in _as_list(stmt.get("Resource", []))):
            return True
    return False


FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)


# ---------------------------------------------------------------------------------------------
# EC2 security group rules: moto keeps a rule's description only for CIDR rules (its IpRanges
# entry); for a rule that references another group (UserIdGroupPairs) or a prefix list it answers
# DescribeSecurityGroupRules without the description it was given, so every
# aws_vpc_security_group_{ingress,egress}_rule with referenced_security_group_id would plan
# "+ description" forever. Here the description given with the group pair or prefix list is kept.
# ---------------------------------------------------------------------------------------------
import inspect

from moto.ec2.models.security_groups import SecurityGroupRule

_sg_rule_init = SecurityGroupRule.__init__
_sg_rule_sig = inspect.signature(_sg_rule_init)


def _sg_rule_init_keeping_description(self, *args, **kwargs):
    _sg_rule_init(self, *args, **kwargs)
    bound = _sg_rule_sig.bind(self, *args, **kwargs).arguments
    self._emulator_description = (bound.get("source_group") or {}).get("Description") or (bound.get("prefix_list_id") or {}).get("Description")


SecurityGroupRule.__init__ = _sg_rule_init_keeping_description
SecurityGroupRule.description = property(lambda self: self.ip_range.get("Description") or getattr(self, "_emulator_description", None))


# ---------------------------------------------------------------------------------------------
# VPC flow logs to S3: moto looks the destination ARN's whole resource part up as a bucket name, so
# a destination with a key prefix (arn:aws:s3:::<log bucket>/vpc-flow-logs/, as the network layer
# writes, and AWS accepts) is refused as "does not exist". A bucket name cannot hold "/": here a
# lookup of "<bucket>/<prefix>" finds <bucket>, while moto runs CreateFlowLogs only.
# ---------------------------------------------------------------------------------------------
from moto.ec2.models.flow_logs import FlowLogsBackend
from moto.s3.models import S3Backend

_in_create_flow_logs = threading.local()
_s3_get_bucket = S3Backend.get_bucket
_create_flow_logs = FlowLogsBackend.create_flow_logs


def _get_bucket(self, bucket_name, *args, **kwargs):
    if getattr(_in_create_flow_logs, "on", False) and "/" in bucket_name:
        bucket_name = bucket_name.split("/", 1)[0]
    return _s3_get_bucket(self, bucket_name, *args, **kwargs)


def _create_flow_logs_with_prefix(self, *args, **kwargs):
    _in_create_flow_logs.on = True
    try:
        return _create_flow_logs(self, *args, **kwargs)
    finally:
        _in_create_flow_logs.on = False


S3Backend.get_bucket = _get_bucket
FlowLogsBackend.create_flow_logs = _create_flow_logs_with_prefix


# ---------------------------------------------------------------------------------------------
# ECS services: moto's CreateService keeps only some of the parameters it is given (UpdateService
# keeps them all): capacityProviderStrategy, availabilityZoneRebalancing, enableECSManagedTags and
# healthCheckGracePeriodSeconds are dropped, so DescribeServices answers without them and every
# aws_ecs_service plans an update (or, for the capacity provider strategy, a replacement) forever.
# Here every parameter the service does not hold yet is kept, as UpdateService does.
# ---------------------------------------------------------------------------------------------
from moto.core.utils import camelcase_to_underscores
from moto.ecs.responses import EC2ContainerServiceResponse

_ecs_create_service = EC2ContainerServiceResponse.create_service


def _create_service_keeping_parameters(self):
    result = _ecs_create_service(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    for key, value in self._get_params().items():
        attr = camelcase_to_underscores(key)
        if value is not None and getattr(service, attr, None) in (None, [], {}):
            setattr(service, attr, value)
    return result


EC2ContainerServiceResponse.create_service = _create_service_keeping_parameters


# ---------------------------------------------------------------------------------------------
# Fixtures: what the settings name as existing before the first apply.
# ---------------------------------------------------------------------------------------------
def load_fixtures():
    path = os.environ.get("MOTO_FIXTURES")
    if not path:
        return
    with open(path) as f:
        fixtures = json.load(f)
    account = os.environ["MOTO_ACCOUNT_ID"]
    from moto.route53.models import route53_backends

    backend = route53_backends[account]["aws"]
    from moto.ecr.models import ecr_backends
    from moto.s3.models import s3_backends

    region = os.environ["MOTO_REGION"]
    for name in fixtures.get("s3_buckets", []):
        s3_backends[account]["aws"].create_bucket(name, region)
    for name in fixtures.get("ecr_repositories", []):
        ecr_backends[account][region].create_repository(name, None, None, None, "MUTABLE", [])
    for zone in fixtures.get("hosted_zones", []):
        created = backend.create_hosted_zone(zone["name"], private_zone=False, comment="test fixture")
        # The settings name the zone by its id: give it that id.
        key = next(k for k, z in backend.zones.items() if z is created)
        del backend.zones[key]
        created.resource_id = zone["id"]
        backend.zones[zone["id"]] = created


# ---------------------------------------------------------------------------------------------
# IAM enforcement (only once a test turns it on through /moto-api/reset-auth): moto checks an S3
# request's SigV4 signature against a canonical query rebuilt from the decoded URL, so a signed
# `prefix=env%3A%2F` (the S3 backend lists its workspaces with that prefix) never matches and
# every `terraform init` is refused with SignatureDoesNotMatch. Re-encoded as the client encoded it
# (RFC 3986, as SigV4 requires) before the check.
# ---------------------------------------------------------------------------------------------
from urllib.parse import parse_qsl, quote, urlencode

from moto.iam.access_control import S3IAMRequest

_s3_iam_request_init = S3IAMRequest.__init__


def _s3_iam_request_init_encoded(self, *args, **kwargs):
    _s3_iam_request_init(self, *args, **kwargs)
    path, sep, query = self._path.partition("?")
    if sep:
        self._path = path + "?" + urlencode(parse_qsl(query, keep_blank_values=True), quote_via=quote, safe="-_.~")


S3IAMRequest.__init__ = _s3_iam_request_init_encoded


if __name__ == "__main__":
    port, cert, key = sys.argv[1:4]
    load_fixtures()
    main(["-H", "127.0.0.1", "-p", port, "-c", cert, "-k", key])
