# The instances' role: the AWS calls the worker makes, on the exact resources (the same
# statements as infra/cloudformation/iam.yaml), plus what its user data and log shipping need.

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "worker" {
  name_prefix          = "filesearch-worker-"
  description          = "filesearch-worker instances"
  assume_role_policy   = data.aws_iam_policy_document.assume_ec2.json
  max_session_duration = 3600
  tags                 = local.tags
}

data "aws_iam_policy_document" "worker" {
  # The worker loop (receive, settle, release, extend), depth and ARN lookups, `ingest s3://`
  # (SendMessageBatch) and the redrive fallback (SendMessage).
  statement {
    sid       = "MainQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:SendMessage"]
    resources = [aws_sqs_queue.main.arn]
  }
  # Permanent failures go to the DLQ with their reason; depth and ARN lookups.
  statement {
    sid       = "DeadLetterQueueSend"
    effect    = "Allow"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.dlq.arn]
  }
  # `dlq analyze|archive|redrive|reprocess` (the AMI's 15-minute reprocess timer among them).
  dynamic "statement" {
    for_each = var.allow_dlq_tools ? [1] : []
    content {
      sid       = "DeadLetterQueueTools"
      effect    = "Allow"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks"]
      resources = [aws_sqs_queue.dlq.arn]
    }
  }
  # GetObject and HeadObject of the documents.
  statement {
    sid       = "ReadDocuments"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/*"]
  }
  # HeadBucket (pre-flight) and ListObjectsV2 (`ingest s3://` backfill).
  statement {
    sid       = "ListDocuments"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
  }
  dynamic "statement" {
    for_each = var.allow_dlq_tools ? [1] : []
    content {
      sid       = "ArchiveDeadLetters"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = [local.archive_arn]
    }
  }
  # OpenSearch over HTTP (SigV4): the paths of the calls in src/adapters/opensearch.
  # (GET _count: the breaker's and pre-flight's bodiless ping; POST _count: count().)
  statement {
    sid     = "OpenSearchRead"
    effect  = "Allow"
    actions = ["es:ESHttpGet"]
    resources = [
      "${var.opensearch_domain_arn}/_cat/plugins",
      "${var.opensearch_domain_arn}/${var.opensearch_index}/_mapping",
      "${var.opensearch_domain_arn}/${var.opensearch_index}/_doc/*",
      "${var.opensearch_domain_arn}/${var.opensearch_index}/_count",
    ]
  }
  statement {
    sid     = "OpenSearchQueryAndWrite"
    effect  = "Allow"
    actions = ["es:ESHttpPost"]
    resources = [
      "${var.opensearch_domain_arn}/_analyze",
      "${var.opensearch_domain_arn}/_bulk",
      "${var.opensearch_domain_arn}/${var.opensearch_index}/_count",
      "${var.opensearch_domain_arn}/${var.opensearch_index}/_search",
    ]
  }
  statement {
    sid       = "OpenSearchCreateIndex"
    effect    = "Allow"
    actions   = ["es:ESHttpPut"]
    resources = ["${var.opensearch_domain_arn}/${var.opensearch_index}"]
  }
  # After draining on a termination notice; the group's ARN is known once it exists.
  statement {
    sid       = "CompleteTerminationHook"
    effect    = "Allow"
    actions   = ["autoscaling:CompleteLifecycleAction"]
    resources = ["arn:${local.partition}:autoscaling:${local.region}:${local.account}:autoScalingGroup:*:autoScalingGroupName/${var.autoscaling_group_name}"]
  }
  # The CloudWatch agent shipping stdout (logs + EMF metrics); one stream per instance.
  statement {
    sid       = "ShipLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.log_group, "${local.log_group}:log-stream:*"]
  }
  # User data: the settings under ssm_parameter_path.
  dynamic "statement" {
    for_each = var.ssm_parameter_path == "" ? [] : [1]
    content {
      sid       = "ReadSettings"
      effect    = "Allow"
      actions   = ["ssm:GetParametersByPath"]
      resources = [local.ssm_path_arn, "${local.ssm_path_arn}/*"]
    }
  }
  dynamic "statement" {
    for_each = var.ssm_parameter_path != "" && var.ssm_kms_key_arn != "" ? [1] : []
    content {
      sid       = "DecryptSettings"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [var.ssm_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_policy" "worker" {
  name_prefix = "filesearch-worker-"
  description = "filesearch-worker, least privilege"
  policy      = data.aws_iam_policy_document.worker.json
  tags        = local.tags
}

resource "aws_iam_role_policy_attachment" "worker" {
  role       = aws_iam_role.worker.name
  policy_arn = aws_iam_policy.worker.arn
}

resource "aws_iam_instance_profile" "worker" {
  name_prefix = "filesearch-worker-"
  role        = aws_iam_role.worker.name
  tags        = local.tags
}
