# Settings shared by every environment. environments/<env>.tfvars overrides them.
# Maps are deep-merged key by key (unlike Terraform's -var-file, which replaces a whole variable):
# an environment file that sets services.mimir.desired_count keeps every other services.mimir key.
# Lists and scalar values replace. Reference: docs/settings-reference.md (every key), docs/settings.md (the prose).

project   = "lgtm"
# The default tenant: Alloy's own pipelines (CloudWatch, OTLP) send under it.
tenant_id = "jsj-lgtm-header"

# Every tenant with its description (shown in Grafana's datasource names) and the limits where it
# differs from the component sections below (rendered into each component's runtime overrides file).
# Names: 1-150 letters, digits and !_.*'()- (what Mimir, Loki, Tempo and Pyroscope all accept).
tenants = {
  "jsj-lgtm-header" = {
    description = "Stack collector: CloudWatch metrics, OTLP through Alloy"
  }
  # Seed 002: the RAG EC2 hosts send metrics and logs under their own tenant.
  "aws-rag-ec2" = {
    description = "RAG EC2 hosts"
    limits = {
      loki = {
        ingestion_rate_mb       = 20
        ingestion_burst_size_mb = 40
      }
    }
  }
}

service_discovery = {
  namespace = "lgtm.local"
}

memberlist_port = 7946

otlp = {
  grpc_port = 4317
  http_port = 4318
}

# One S3 key segment per component (seed 000, 02:00-02:30). Mimir's are the live layout of seed 000
# (blocks/) and seed 001 (rules/, alerts/).
storage_prefixes = {
  mimir_blocks       = "blocks"
  mimir_ruler        = "rules"
  mimir_alertmanager = "alerts"
  loki               = "loki"
  tempo              = "tempo"
  pyroscope          = "pyroscope"
}

storage = {
  lifecycle_margin_days        = 30
  abort_incomplete_upload_days = 7
  # No Glacier/Deep Archive here: the services read their objects until retention ends (seed 003's
  # Glacier-after-90-days would break 1-year queries). GLACIER_IR or STANDARD_IA are readable.
  transitions = []
}

logs = {
  retention_days = 7
}

# Interfaces a ring member advertises its address from, first usable wins: the Fargate 1.4 task ENI is
# eth1 (eth0 only has 169.254.172.x, which the rings skip), other awsvpc platforms name it eth0.
ring_interface_names = ["eth1", "eth0"]

# Per-component limits, every tenant (docs/settings.md "Tenants and limits"). Mimir: the team's own Mimir (issue 18);
# upstream's 10,000 samples/s and 150,000 series would answer their senders with 429s on day one.
mimir = {
  limits = {
    ingestion_rate               = 100000
    ingestion_burst_size         = 500000
    max_global_series_per_user   = 2000000
    max_global_series_per_metric = 300000
    out_of_order_time_window     = "10m"
  }
}

# Rendered into Loki's config. Limits are seed 004's; max_streams_per_user = 100000 there is the global
# per-tenant stream limit here (Loki 3 enforces the global one; the local one is off by default).
# Query timeout and the old-sample window are the team's (upstream: 1m and 1w); the lookback is the
# retention unless set.
loki = {
  schema_from = "2025-01-01"
  limits = {
    ingestion_rate_mb            = 50
    ingestion_burst_size_mb      = 100
    max_query_parallelism        = 256
    max_global_streams_per_user  = 100000
    max_concurrent_tail_requests = 20
    split_queries_by_interval    = "30m"
    max_query_length             = "168h"
    query_timeout                = "10m"
    reject_old_samples           = true
    reject_old_samples_max_age   = "1y"
    allow_structured_metadata    = true
  }
  pattern_ingester = true
  # Seed 003: logs are kept for services.loki.retention_days, info-level streams 30 days.
  retention_streams = [
    { selector = "{level=\"info\"}", days = 30, priority = 1 },
  ]
}

# Tempo: upstream's limits, written down (the team had none of its own): 5 MB per trace, 30 MB/s.
tempo = {
  limits = {
    max_bytes_per_trace        = "5MB"
    ingestion_rate_limit_bytes = "30MB"
    ingestion_burst_size_bytes = "30MB"
    max_traces_per_user        = 10000
  }
}

# Pyroscope: upstream's ingestion limits; queries may span a week (upstream 1d) and reach back over
# the whole retention (upstream 1w).
pyroscope = {
  limits = {
    ingestion_rate_mb            = 4
    ingestion_burst_size_mb      = 2
    max_global_series_per_tenant = 5000
    max_profile_size_bytes       = "4MiB"
    max_query_length             = "7d"
  }
}

# CloudWatch metrics Alloy collects (seed 001/003: ALB, NLB, ECS, RDS, ElastiCache) into Mimir.
alloy = {
  cloudwatch = {
    scrape_interval = "5m"
    namespaces = [
      {
        type = "AWS/ApplicationELB"
        metrics = [
          { name = "RequestCount", statistics = ["Sum"] },
          { name = "TargetResponseTime", statistics = ["Average", "Maximum"] },
          { name = "HTTPCode_Target_5XX_Count", statistics = ["Sum"] },
          { name = "HTTPCode_ELB_5XX_Count", statistics = ["Sum"] },
          { name = "HealthyHostCount", statistics = ["Minimum"] },
          { name = "UnHealthyHostCount", statistics = ["Maximum"] },
        ]
      },
      {
        type = "AWS/NetworkELB"
        metrics = [
          { name = "ActiveFlowCount", statistics = ["Average"] },
          { name = "ProcessedBytes", statistics = ["Sum"] },
        ]
      },
      {
        type = "AWS/ECS"
        metrics = [
          { name = "CPUUtilization", statistics = ["Average", "Maximum"] },
          { name = "MemoryUtilization", statistics = ["Average", "Maximum"] },
        ]
      },
      {
        type = "AWS/RDS"
        metrics = [
          { name = "CPUUtilization", statistics = ["Average"] },
          { name = "FreeableMemory", statistics = ["Minimum"] },
          { name = "DatabaseConnections", statistics = ["Average"] },
        ]
      },
      {
        type = "AWS/ElastiCache"
        metrics = [
          { name = "CPUUtilization", statistics = ["Average"] },
          { name = "CurrConnections", statistics = ["Average"] },
          { name = "Evictions", statistics = ["Sum"] },
        ]
      },
    ]
  }
}

# The admin password is a Secrets Manager secret injected into the task (never admin/admin, seed 000).
grafana = {
  admin_user = "admin"
}

# The authenticating gateway (docs/gateway.md). The largest request it admits; every backend's gRPC
# message limits are rendered at least this large, so an admitted push is never refused inside Loki,
# Tempo, Mimir or Pyroscope.
gateway = {
  max_body_size_mib = 64
  # Loki's deletion API and Mimir's rule writes: 404 at the gateway unless opened here, and then
  # only to each tenant's admin credential (docs/gateway.md).
  admin_routes = {
    loki_delete = false
    mimir_rules = false
  }
  # Per tenant, per gateway task: above rate and burst the gateway answers 429.
  rate_limit = {
    requests_per_second = 200
    burst               = 400
  }
}

# The service catalog: the one place a port, prefix, size or route is written. Security groups,
# target groups, health checks, listener rules, Cloud Map names, environment variables and the
# rendered configs all read it. Sizes are seed 001's component table.
services = {
  mimir = {
    image          = "grafana/mimir"
    version        = "3.0.4"
    cpu            = 2048
    memory         = 4096
    desired_count  = 3
    http_port      = 9009
    grpc_port      = 9095
    path_prefix    = ""
    retention_days = 365
    # Replication factor 3 (derived from 3 tasks): one task or one AZ can go and writes continue.
    # Disk: the TSDB head and WAL (up to ~3h of samples), the local blocks kept for queries for
    # blocks_storage.tsdb.retention_period (13h) and the compactor's workspace (a day of a tenant's
    # blocks at the 24h level).
    ephemeral_storage_gib = 100
  }
  loki = {
    image          = "grafana/loki"
    version        = "3.7.6"
    cpu    = 1024
    memory = 2048
    # 3, not the seed's 2: a write needs floor(RF/2)+1 copies, so RF 2 on 2 tasks stops every write
    # while one task is replaced (each deploy), and RF 1 loses the stopped task's share. 3 tasks with
    # RF 3 keep a quorum through a task loss or an AZ loss (settings/quorum.ts).
    desired_count  = 3
    http_port      = 3100
    grpc_port      = 9095
    path_prefix    = ""
    retention_days = 365
    # Disk: the WAL of unflushed chunks, the TSDB index being built and its cache, the compactor's
    # working directory.
    ephemeral_storage_gib = 50
  }
  tempo = {
    image         = "grafana/tempo"
    version       = "3.0.3"
    cpu           = 1024
    memory        = 2048
    desired_count = 1
    http_port     = 3200
    grpc_port     = 9095
    # Tempo takes this as http_api_prefix: /tempo/api/... is its API, /ready stays at the root.
    # (Seed 000 set server.http_path_prefix and a /tempo/ready health check, which never passes.)
    path_prefix    = "/tempo"
    retention_days = 7
    # Disk: the live store's WAL and its complete blocks (kept 20m after upload for queries), the
    # generator's WAL and the backend scheduler's work file.
    ephemeral_storage_gib = 50
  }
  pyroscope = {
    image          = "grafana/pyroscope"
    version        = "2.2.1"
    cpu    = 1024
    memory = 2048
    # 3 tasks with replication factor 3 rather than one task with an accepted risk: Pyroscope's
    # ingester ring cannot forget a member that died without leaving, so with one task a crash leaves
    # a dead owner of part of the ring and those profiles are refused until someone forgets it
    # (/ring page); 3 copies keep a write quorum through one dead member, a deploy or an AZ loss.
    desired_count  = 3
    http_port      = 4040
    grpc_port      = 4041
    path_prefix    = "/pyroscope"
    retention_days = 30
    # Disk: the head and the local blocks until they are shipped (pyroscopedb keeps 10 GB free) and
    # the compactor's workspace.
    ephemeral_storage_gib = 50
  }
  grafana = {
    image         = "grafana/grafana"
    version       = "12.1.0"
    cpu           = 512
    memory        = 1024
    desired_count = 1
    http_port     = 3000
  }
  alloy = {
    image         = "grafana/alloy"
    version       = "v1.18.1"
    cpu           = 512
    memory        = 1024
    desired_count = 1
    http_port     = 12345
  }
  # The authenticating gateway (docs/security.md "The gateway"): nginx from ECR Public (no Docker Hub limits).
  # Every ingestion and query path of the ALB goes to it, never to a backend: it checks the tenant's
  # credentials and sets X-Scope-OrgID. /otlp/* is OTLP over HTTP for metrics, logs and traces.
  gateway = {
    image         = "public.ecr.aws/nginx/nginx"
    version       = "1.28.0"
    cpu           = 256
    memory        = 512
    # Stateless: two tasks, so a deploy or a lost task never stops ingestion.
    desired_count = 2
    http_port     = 8080
    alb_paths     = ["/api/v1/push", "/otlp/*", "/prometheus/*", "/loki/*", "/tempo/*", "/pyroscope/*"]
  }
}

