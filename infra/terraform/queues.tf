# ------------------------------------------------------------------ queues
resource "aws_sqs_queue" "dlq" {
  name = local.dlq_name
  # A standard queue keeps a message's original enqueue time in the DLQ: the maximum retention
  # gives each copy the full 14 days to be analysed or redriven.
  message_retention_seconds = 1209600
  # SSE-SQS: S3 notifications cannot reach a queue under the AWS-managed aws/sqs key, and this
  # needs no KMS grants for S3 or the worker.
  sqs_managed_sse_enabled = true
  tags                    = local.tags
}

resource "aws_sqs_queue" "main" {
  name                       = var.queue_name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  receive_wait_time_seconds  = 20
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = local.tags
}

# Only the main queue may dead-letter into the DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.main.arn]
  })
}

data "aws_iam_policy_document" "queue" {
  # Only the documents bucket, in this account, may send (S3 event notifications).
  statement {
    sid       = "AllowDocumentsBucketNotifications"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.main.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.bucket_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.main.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "main" {
  queue_url = aws_sqs_queue.main.id
  policy    = data.aws_iam_policy_document.queue.json
}

# ------------------------------------------------------------------ bucket (optional)
locals {
  create_access_log_bucket = var.create_bucket && var.access_log_bucket_name == ""
  access_log_bucket        = local.create_access_log_bucket ? aws_s3_bucket.access_logs[0].id : var.access_log_bucket_name
  ingest_filter            = var.ingest_prefix == "" ? null : var.ingest_prefix
}

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log destination itself; logging it into itself would log its own log writes without end.
  #checkov:skip=CKV_AWS_144:Access logs are not replicated to a second region; they are operational data with a one-year expiry.
  #checkov:skip=CKV_AWS_145:Server access logs can be delivered only to SSE-S3 (AES256) buckets.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the access-log bucket.
  count  = local.create_access_log_bucket ? 1 : 0
  bucket = "${var.bucket_name}-access-logs"
  tags   = local.tags
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count  = local.create_access_log_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count  = local.create_access_log_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count                   = local.create_access_log_bucket ? 1 : 0
  bucket                  = aws_s3_bucket.access_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count  = local.create_access_log_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count  = local.create_access_log_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id
  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = 365
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "access_logs" {
  count = local.create_access_log_bucket ? 1 : 0
  statement {
    sid       = "AllowServerAccessLogsFromDocumentsBucket"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs[0].arn}/s3-access/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.bucket_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs[0].arn, "${aws_s3_bucket.access_logs[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  count  = local.create_access_log_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id
  policy = data.aws_iam_policy_document.access_logs[0].json
}

resource "aws_s3_bucket" "documents" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice for the documents' owner, not part of the worker; the index can be rebuilt from the bucket with `filesearch ingest`.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) on purpose: the worker's role then needs no KMS grant to read documents, and S3 can notify the SSE-SQS queue.
  count  = var.create_bucket ? 1 : 0
  bucket = var.bucket_name
  tags   = local.tags
}

resource "aws_s3_bucket_server_side_encryption_configuration" "documents" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.documents[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "documents" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.documents[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "documents" {
  count                   = var.create_bucket ? 1 : 0
  bucket                  = aws_s3_bucket.documents[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Versioned: an overwrite or delete is recoverable, and a delete still sends ObjectRemoved
# (DeleteMarkerCreated), which removes the document from the index.
resource "aws_s3_bucket_versioning" "documents" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.documents[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "documents" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.documents[0].id
  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_logging" "documents" {
  count         = var.create_bucket ? 1 : 0
  bucket        = aws_s3_bucket.documents[0].id
  target_bucket = local.access_log_bucket
  target_prefix = "s3-access/"
}

data "aws_iam_policy_document" "documents" {
  count = var.create_bucket ? 1 : 0
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.documents[0].arn, "${aws_s3_bucket.documents[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "documents" {
  count  = var.create_bucket ? 1 : 0
  bucket = aws_s3_bucket.documents[0].id
  policy = data.aws_iam_policy_document.documents[0].json
}

# S3 checks the destination when the notification is set: the queue policy must admit it first.
resource "aws_s3_bucket_notification" "documents" {
  count  = var.manage_bucket_notification ? 1 : 0
  bucket = var.create_bucket ? aws_s3_bucket.documents[0].id : var.bucket_name
  queue {
    id            = "filesearch-worker"
    queue_arn     = aws_sqs_queue.main.arn
    events        = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    filter_prefix = local.ingest_filter
  }
  depends_on = [aws_sqs_queue_policy.main]
}
