# filesearch-worker on AWS, the Terraform twin of infra/cloudformation/*.yaml:
#   queues.tf     main queue + DLQ (redrive), queue policy, the bucket and its notification
#   alarms.tf     DLQ not empty, oldest message age, queue depth -> encrypted SNS topic
#   iam.tf        the instances' role: exactly the calls the worker makes, on exact resources
#   workers.tf    launch template (IMDSv2, encrypted gp3), Auto Scaling group (mixed instances,
#                 termination lifecycle hook), target tracking on backlog per instance + step
#                 scale-out, security group, log group
#   dashboard.tf  queue, scaling and the worker's EMF metrics
#
# AMI rollouts: infra/deploy/rolling-deploy.sh (a new launch template version + instance refresh).
# Terraform sets the first AMI and ignores later image changes, so it does not undo a rollout.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  dlq_name     = "${var.queue_name}-dlq"
  bucket_arn   = "arn:${local.partition}:s3:::${var.bucket_name}"
  archive_arn  = "arn:${local.partition}:s3:::${var.archive_bucket_name == "" ? var.bucket_name : var.archive_bucket_name}/${var.archive_prefix}*"
  log_group    = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:${var.log_group_name}"
  ssm_path_arn = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter${var.ssm_parameter_path}"

  # The worker's settings, written to /etc/filesearch/bootstrap.env by the launch template and
  # turned into /etc/filesearch/filesearch.env by the AMI's user data (infra/packer/user-data.sh).
  # Keys are the worker's configuration keys (src/config/schema.ts); test/infra checks them.
  worker_env = merge({
    AWS_REGION             = local.region
    SQS_QUEUE_URL          = aws_sqs_queue.main.url
    DLQ_QUEUE_URL          = aws_sqs_queue.dlq.url
    S3_BUCKET              = var.bucket_name
    OPENSEARCH_ENDPOINT    = var.opensearch_endpoint
    OPENSEARCH_INDEX       = var.opensearch_index
    OPENSEARCH_AUTH        = "sigv4"
    SQS_VISIBILITY_TIMEOUT = tostring(var.visibility_timeout_seconds)
    DRAIN_TIMEOUT          = tostring(var.drain_timeout_seconds)
    METRICS_EMF            = "on"
    METRICS_NAMESPACE      = var.metrics_namespace
    ASG_NAME               = var.autoscaling_group_name
    LIFECYCLE_HOOK_NAME    = var.lifecycle_hook_name
    LOG_LEVEL              = var.log_level
  }, var.worker_settings)

  # Settings of the user data itself (lower case).
  user_data_settings = merge(
    { log_group = var.log_group_name },
    var.ssm_parameter_path == "" ? {} : { ssm_path = var.ssm_parameter_path },
  )

  tags = merge({ Application = "filesearch-worker" }, var.tags)
}
