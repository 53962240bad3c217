# Inputs of the filesearch-worker module. Names and defaults follow the CloudFormation templates
# (infra/cloudformation/*.yaml) so that both describe the same deployment.

# ------------------------------------------------------------------ queues and bucket
variable "queue_name" {
  type        = string
  description = "Main queue name; the DLQ is <queue_name>-dlq."
  default     = "filesearch"
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,76}$", var.queue_name))
    error_message = "1-76 letters, digits, _ or - (the DLQ name adds -dlq; SQS allows 80)."
  }
}

variable "visibility_timeout_seconds" {
  type        = number
  description = "The queue's visibility timeout; the worker's SQS_VISIBILITY_TIMEOUT is set to the same value."
  default     = 300
  validation {
    condition     = var.visibility_timeout_seconds >= 30 && var.visibility_timeout_seconds <= 43200
    error_message = "30-43200 seconds."
  }
}

variable "max_receive_count" {
  type        = number
  description = "Receives before SQS moves a message to the DLQ (redrive policy)."
  default     = 3
}

variable "bucket_name" {
  type        = string
  description = "The documents bucket (S3_BUCKET)."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "Not an S3 bucket name."
  }
}

variable "create_bucket" {
  type        = bool
  description = "true: create the bucket here (versioned, SSE-S3, access logs, TLS only); false: use an existing one."
  default     = true
}

variable "manage_bucket_notification" {
  type        = bool
  description = "Configure the bucket's event notification to the queue. It REPLACES the bucket's whole notification configuration (for an existing bucket, merge by hand instead)."
  default     = true
}

variable "access_log_bucket_name" {
  type        = string
  description = "Existing bucket for the created bucket's server access logs; empty: create one."
  default     = ""
}

variable "ingest_prefix" {
  type        = string
  description = "Only keys under this prefix are queued (empty: the whole bucket)."
  default     = ""
}

# ------------------------------------------------------------------ alarms
variable "alarm_email" {
  type        = string
  description = "Optional e-mail subscription to the alarm topic."
  default     = ""
}

variable "oldest_message_age_threshold_seconds" {
  type    = number
  default = 900
}

variable "queue_depth_threshold" {
  type    = number
  default = 1000
}

# ------------------------------------------------------------------ OpenSearch
variable "opensearch_domain_arn" {
  type        = string
  description = "arn:aws:es:REGION:ACCOUNT:domain/NAME; its access policy must admit the worker role (output worker_role_arn)."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:es:[a-z0-9-]+:[0-9]{12}:domain/[a-z][a-z0-9-]{2,27}$", var.opensearch_domain_arn))
    error_message = "Not an OpenSearch domain ARN."
  }
}

variable "opensearch_endpoint" {
  type        = string
  description = "OPENSEARCH_ENDPOINT: https://DOMAIN-ENDPOINT (SigV4 with the instance role)."
  validation {
    condition     = can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?$", var.opensearch_endpoint))
    error_message = "https://host[:port]"
  }
}

variable "opensearch_index" {
  type        = string
  description = "OPENSEARCH_INDEX; the role may use this index only."
  default     = "file-index"
}

# ------------------------------------------------------------------ DLQ tools
variable "allow_dlq_tools" {
  type        = bool
  description = "Let the instances run `filesearch dlq analyze|redrive|reprocess|archive`. The AMI's filesearch-dlq-reprocess.timer needs it."
  default     = true
}

variable "archive_bucket_name" {
  type        = string
  description = "Where `filesearch dlq archive` writes; empty: the documents bucket."
  default     = ""
}

variable "archive_prefix" {
  type        = string
  description = "Key prefix the archive may write under (ends in /); keep it outside ingest_prefix."
  default     = "dlq-archive/"
  validation {
    condition     = can(regex("^[A-Za-z0-9!_.()/-]{1,512}/$", var.archive_prefix))
    error_message = "A key prefix ending in /."
  }
}

# ------------------------------------------------------------------ instances
variable "ami_id" {
  type        = string
  description = "The worker AMI (infra/packer). Later AMIs are rolled out by infra/deploy/rolling-deploy.sh, which Terraform leaves alone."
}

variable "instance_types" {
  type        = list(string)
  description = "On-Demand priority order; Spot uses all of them. Same architecture as the AMI."
  default     = ["c7i.large", "m7i.large"]
}

variable "root_volume_size_gib" {
  type        = number
  description = "Encrypted gp3 root volume; TEMP_DIR lives on it."
  default     = 30
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets in several Availability Zones, with a route to SQS, S3 and OpenSearch."
}

variable "autoscaling_group_name" {
  type        = string
  description = "ASG_NAME; also the launch template's name."
  default     = "filesearch-workers"
}

variable "min_size" {
  type        = number
  description = "At least 1: backlog per instance is undefined without an instance in service."
  default     = 1
  validation {
    condition     = var.min_size >= 1
    error_message = "At least 1."
  }
}

variable "max_size" {
  type    = number
  default = 10
}

variable "target_backlog_per_instance" {
  type        = number
  description = "Visible messages per in-service instance to hold: accepted latency / seconds per message per instance."
  default     = 50
}

variable "burst_queue_depth" {
  type        = number
  description = "Visible messages at which the step policy adds 2 instances (4 at twice this)."
  default     = 2000
}

variable "on_demand_base_capacity" {
  type    = number
  default = 0
}

variable "on_demand_percentage_above_base_capacity" {
  type        = number
  description = "100: On-Demand only; 0: Spot only above the base (the worker drains on a Spot notice)."
  default     = 100
}

variable "lifecycle_hook_name" {
  type        = string
  description = "LIFECYCLE_HOOK_NAME: the termination hook the worker completes after draining."
  default     = "filesearch-drain"
}

variable "lifecycle_heartbeat_timeout_seconds" {
  type        = number
  description = "How long a terminating instance may drain; longer than drain_timeout_seconds + 30."
  default     = 300
}

variable "drain_timeout_seconds" {
  type        = number
  description = "DRAIN_TIMEOUT; user data sets the unit's TimeoutStopSec to this + 30 s."
  default     = 60
}

variable "log_level" {
  type    = string
  default = "info"
  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace"], var.log_level)
    error_message = "fatal, error, warn, info, debug or trace."
  }
}

variable "worker_settings" {
  type        = map(string)
  description = "More worker configuration keys for /etc/filesearch/filesearch.env (e.g. { MAX_WORKERS = \"4\" }); the AMI's user data writes only keys its worker knows."
  default     = {}
  validation {
    condition     = alltrue([for k, v in var.worker_settings : can(regex("^[A-Z][A-Z0-9_]*$", k)) && !strcontains(v, "\n")])
    error_message = "Keys are upper-case configuration keys; values are single lines."
  }
}

variable "ssm_parameter_path" {
  type        = string
  description = "Optional SSM path whose parameters <path>/KEY user data adds to the env file (SecureString for OPENSEARCH_PASSWORD)."
  default     = ""
  validation {
    condition     = var.ssm_parameter_path == "" || can(regex("^/[A-Za-z0-9_./-]+[^/]$", var.ssm_parameter_path))
    error_message = "An SSM path such as /filesearch/prod (no trailing /)."
  }
}

variable "ssm_kms_key_arn" {
  type        = string
  description = "The customer managed key of those SecureString parameters, if any (aws/ssm needs no grant)."
  default     = ""
}

# ------------------------------------------------------------------ logs and dashboard
variable "log_group_name" {
  type    = string
  default = "/filesearch/worker"
}

variable "log_retention_days" {
  type    = number
  default = 365
  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "A CloudWatch Logs retention of at least a year."
  }
}

variable "metrics_namespace" {
  type        = string
  description = "The worker's METRICS_NAMESPACE (EMF)."
  default     = "FileSearch/Worker"
}

variable "dashboard_name" {
  type    = string
  default = "filesearch-worker"
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = {}
}
