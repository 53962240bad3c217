# ------------------------------------------------------------------ network
resource "aws_security_group" "worker" {
  name_prefix = "filesearch-worker-"
  description = "filesearch-worker instances - no inbound, HTTPS out (SQS, S3, OpenSearch, Auto Scaling, CloudWatch Logs)"
  vpc_id      = var.vpc_id
  tags        = local.tags
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.worker.id
  description       = "HTTPS to AWS APIs and the OpenSearch domain"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

# ------------------------------------------------------------------ logs
data "aws_iam_policy_document" "log_key" {
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
    sid       = "CloudWatchLogsUseForThisLogGroup"
    effect    = "Allow"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_group]
    }
  }
}

resource "aws_kms_key" "logs" {
  description         = "filesearch-worker log group encryption"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.log_key.json
  tags                = local.tags
}

# The worker's stdout: NDJSON logs with the EMF lines CloudWatch turns into FileSearch/Worker metrics.
resource "aws_cloudwatch_log_group" "worker" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = local.tags
}

# ------------------------------------------------------------------ launch template
resource "aws_launch_template" "worker" {
  name                   = var.autoscaling_group_name
  description            = "filesearch-worker"
  image_id               = var.ami_id
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.worker.id]
  user_data              = base64encode(templatefile("${path.module}/templates/cloud-config.yaml.tftpl", { settings = merge(local.worker_env, local.user_data_settings) }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.worker.arn
  }

  # IMDSv2 only; tags readable from the metadata (user data takes filesearch:KEY tags).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "enabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gib
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = var.autoscaling_group_name })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = var.autoscaling_group_name })
  }

  tags = local.tags

  lifecycle {
    # New AMIs arrive through infra/deploy/rolling-deploy.sh (new version + instance refresh).
    ignore_changes = [image_id]
  }
}

# ------------------------------------------------------------------ Auto Scaling group
resource "aws_autoscaling_group" "worker" {
  name                      = var.autoscaling_group_name
  vpc_zone_identifier       = var.subnet_ids
  min_size                  = var.min_size
  max_size                  = var.max_size
  health_check_type         = "EC2"
  health_check_grace_period = 300
  default_instance_warmup   = 180
  capacity_rebalance        = true
  termination_policies      = ["OldestLaunchTemplate", "Default"]
  metrics_granularity       = "1Minute"
  enabled_metrics           = ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupPendingInstances", "GroupTerminatingInstances"]

  # Launch before terminate during instance refresh and rebalancing: capacity never drops.
  instance_maintenance_policy {
    min_healthy_percentage = 100
    max_healthy_percentage = 200
  }

  mixed_instances_policy {
    instances_distribution {
      on_demand_allocation_strategy            = "prioritized"
      on_demand_base_capacity                  = var.on_demand_base_capacity
      on_demand_percentage_above_base_capacity = var.on_demand_percentage_above_base_capacity
      spot_allocation_strategy                 = "price-capacity-optimized"
    }
    launch_template {
      launch_template_specification {
        launch_template_id = aws_launch_template.worker.id
        version            = aws_launch_template.worker.latest_version
      }
      dynamic "override" {
        for_each = var.instance_types
        content {
          instance_type = override.value
        }
      }
    }
  }

  tag {
    key                 = "Name"
    value               = var.autoscaling_group_name
    propagate_at_launch = true
  }

  dynamic "tag" {
    for_each = local.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  depends_on = [aws_cloudwatch_log_group.worker, aws_iam_role_policy_attachment.worker]

  lifecycle {
    # Scaling policies own the desired capacity.
    ignore_changes = [desired_capacity]
  }
}

# The worker completes it (CONTINUE) once drained; if it cannot, Auto Scaling goes on after the
# heartbeat timeout and unfinished messages reappear after their visibility timeout.
resource "aws_autoscaling_lifecycle_hook" "drain" {
  name                   = var.lifecycle_hook_name
  autoscaling_group_name = aws_autoscaling_group.worker.name
  lifecycle_transition   = "autoscaling:EC2_INSTANCE_TERMINATING"
  heartbeat_timeout      = var.lifecycle_heartbeat_timeout_seconds
  default_result         = "CONTINUE"

  lifecycle {
    precondition {
      condition     = var.lifecycle_heartbeat_timeout_seconds > var.drain_timeout_seconds + 30
      error_message = "lifecycle_heartbeat_timeout_seconds must exceed drain_timeout_seconds + 30 (drain, then flush and exit)."
    }
  }
}

# ------------------------------------------------------------------ scaling
# Target tracking on visible messages per in-service instance.
resource "aws_autoscaling_policy" "backlog_per_instance" {
  name                   = "backlog-per-instance"
  autoscaling_group_name = aws_autoscaling_group.worker.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.target_backlog_per_instance
    customized_metric_specification {
      metrics {
        id          = "visible"
        label       = "Visible messages"
        return_data = false
        metric_stat {
          stat = "Sum"
          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"
            dimensions {
              name  = "QueueName"
              value = aws_sqs_queue.main.name
            }
          }
        }
      }
      metrics {
        id          = "inservice"
        label       = "In-service instances"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "AWS/AutoScaling"
            metric_name = "GroupInServiceInstances"
            dimensions {
              name  = "AutoScalingGroupName"
              value = aws_autoscaling_group.worker.name
            }
          }
        }
      }
      metrics {
        id          = "backlogperinstance"
        label       = "Backlog per instance"
        expression  = "visible / inservice"
        return_data = true
      }
    }
  }
}

# A burst of new files: add instances in steps, ahead of target tracking.
resource "aws_autoscaling_policy" "burst" {
  name                      = "burst-scale-out"
  autoscaling_group_name    = aws_autoscaling_group.worker.name
  policy_type               = "StepScaling"
  adjustment_type           = "ChangeInCapacity"
  metric_aggregation_type   = "Maximum"
  estimated_instance_warmup = 180

  # Bounds are relative to the alarm threshold (burst_queue_depth).
  step_adjustment {
    metric_interval_lower_bound = 0
    metric_interval_upper_bound = var.burst_queue_depth
    scaling_adjustment          = 2
  }
  step_adjustment {
    metric_interval_lower_bound = var.burst_queue_depth
    scaling_adjustment          = 4
  }
}

resource "aws_cloudwatch_metric_alarm" "burst" {
  alarm_name          = "${var.queue_name}-burst"
  alarm_description   = "A burst of new files - scale out in steps, ahead of target tracking."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.main.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.burst_queue_depth
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_autoscaling_policy.burst.arn]
  tags                = local.tags
}
