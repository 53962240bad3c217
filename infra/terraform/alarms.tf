# Alarms on the queues, to an SNS topic encrypted with a key CloudWatch may use (the AWS-managed
# aws/sns key cannot grant that).

data "aws_iam_policy_document" "alarm_key" {
  #checkov:skip=CKV_AWS_111:A key policy: Resource "*" is this key alone, and only the account root and one service principal are named.
  #checkov:skip=CKV_AWS_356:A key policy: Resource "*" is this key alone (KMS key policies cannot name the key they belong to).
  #checkov:skip=CKV_AWS_109:A key policy: the account root administers its own key, as every KMS key policy must allow.
  statement {
    sid       = "AccountAdministers"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
  statement {
    sid       = "CloudWatchAlarmsPublish"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description         = "filesearch-worker alarm topic (SNS SSE); CloudWatch alarms may use it."
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.alarm_key.json
  tags                = local.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.queue_name}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.queue_name}-alarms"
  display_name      = "filesearch ${var.queue_name} alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  alarm_name          = "${var.queue_name}-dlq-not-empty"
  alarm_description   = "Messages are in the DLQ: permanent failures or exhausted retries. Inspect with `filesearch dlq analyze`, then redrive or archive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  alarm_name          = "${var.queue_name}-oldest-message-age"
  alarm_description   = "The oldest message waits too long: workers are down, stuck, paused by an open circuit or backpressure, or too few for the load."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.main.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.oldest_message_age_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  alarm_name          = "${var.queue_name}-queue-depth"
  alarm_description   = "The backlog stays high for 15 minutes; scaling may be at its maximum."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.main.name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.queue_depth_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}
