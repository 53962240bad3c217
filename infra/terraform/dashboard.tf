# Queue and DLQ depth and age, backlog per instance (the scaling metric), the group's instances,
# and the worker's EMF metrics (namespace var.metrics_namespace, dimension WorkerId), summed or
# drawn per worker with SEARCH expressions so new instances appear without editing anything.
# The metric names are the ones src/runtime/emf.ts emits (test/infra checks them).

locals {
  ns    = var.metrics_namespace
  queue = aws_sqs_queue.main.name
  dlq   = aws_sqs_queue.dlq.name
  asg   = aws_autoscaling_group.worker.name

  widget_defaults = { region = local.region, view = "timeSeries", stacked = false, period = 60 }

  dashboard_widgets = [
    {
      type       = "text", x = 0, y = 0, width = 24, height = 2
      properties = { markdown = "## filesearch-worker\nQueue **${local.queue}**, DLQ **${local.dlq}**, Auto Scaling group **${local.asg}**. Worker metrics: EMF namespace **${local.ns}**, one line per WorkerId (the instance id)." }
    },
    {
      type = "metric", x = 0, y = 2, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Queue backlog"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.queue, { stat = "Maximum", label = "waiting" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", local.queue, { stat = "Maximum", label = "in flight" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dlq, { stat = "Maximum", label = "DLQ" }],
        ]
      })
    },
    {
      type = "metric", x = 8, y = 2, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Oldest message age (s)"
        metrics = [
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.queue, { stat = "Maximum", label = "queue" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.dlq, { stat = "Maximum", label = "DLQ" }],
        ]
      })
    },
    {
      type = "metric", x = 16, y = 2, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Backlog per instance (the scaling metric)"
        metrics = [
          [{ expression = "visible / inservice", id = "backlog", label = "backlog per instance" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.queue, { id = "visible", stat = "Sum", visible = false }],
          ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", local.asg, { id = "inservice", stat = "Average", label = "in service", yAxis = "right" }],
        ]
      })
    },
    {
      type = "metric", x = 0, y = 8, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Files processed"
        metrics = [
          [{ expression = "SUM(SEARCH('{${local.ns},WorkerId} MetricName=\"FilesProcessed\"', 'Sum', 60))", id = "total", label = "all workers" }],
          [{ expression = "SEARCH('{${local.ns},WorkerId} MetricName=\"FilesProcessed\"', 'Sum', 60)", id = "perworker", label = "" }],
        ]
      })
    },
    {
      type = "metric", x = 8, y = 8, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Errors, DLQ sends, requeues"
        metrics = [
          [{ expression = "SUM(SEARCH('{${local.ns},WorkerId} MetricName=\"ProcessingErrors\"', 'Sum', 60))", id = "errors", label = "processing errors" }],
          [{ expression = "SUM(SEARCH('{${local.ns},WorkerId} MetricName=\"DLQMessagesSent\"', 'Sum', 60))", id = "dlq", label = "sent to DLQ" }],
          [{ expression = "SUM(SEARCH('{${local.ns},WorkerId} MetricName=\"MessagesRequeued\"', 'Sum', 60))", id = "requeued", label = "requeued" }],
        ]
      })
    },
    {
      type = "metric", x = 16, y = 8, width = 8, height = 6
      properties = merge(local.widget_defaults, {
        title = "Processing time per file (ms)"
        metrics = [
          [{ expression = "SEARCH('{${local.ns},WorkerId} MetricName=\"ProcessingTime\"', 'p50', 60)", id = "p50", label = "" }],
          [{ expression = "SEARCH('{${local.ns},WorkerId} MetricName=\"ProcessingTime\"', 'p90', 60)", id = "p90", label = "" }],
        ]
      })
    },
    {
      type = "metric", x = 0, y = 14, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "Stage time, average (ms)"
        metrics = [
          [{ expression = "AVG(SEARCH('{${local.ns},WorkerId} MetricName=\"DownloadTime\"', 'Average', 60))", id = "download", label = "download" }],
          [{ expression = "AVG(SEARCH('{${local.ns},WorkerId} MetricName=\"ExtractTime\"', 'Average', 60))", id = "extract", label = "extract" }],
          [{ expression = "AVG(SEARCH('{${local.ns},WorkerId} MetricName=\"OcrTime\"', 'Average', 60))", id = "ocr", label = "OCR" }],
          [{ expression = "AVG(SEARCH('{${local.ns},WorkerId} MetricName=\"IndexTime\"', 'Average', 60))", id = "index", label = "index" }],
        ]
      })
    },
    {
      type = "metric", x = 12, y = 14, width = 6, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Memory utilization (%)"
        metrics = [[{ expression = "SEARCH('{${local.ns},WorkerId} MetricName=\"MemoryUtilization\"', 'Maximum', 60)", id = "memory", label = "" }]]
      })
    },
    {
      type = "metric", x = 18, y = 14, width = 6, height = 6
      properties = merge(local.widget_defaults, {
        title   = "Ready (1) per worker"
        metrics = [[{ expression = "SEARCH('{${local.ns},WorkerId} MetricName=\"HealthCheckStatus\"', 'Minimum', 60)", id = "health", label = "" }]]
      })
    },
    {
      type = "metric", x = 0, y = 20, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "Unclean restarts and Spot interruptions"
        metrics = [
          [{ expression = "SUM(SEARCH('{${local.ns},WorkerId} MetricName=\"WorkerRestart\"', 'Sum', 60))", id = "restarts", label = "restarts after a crash" }],
          [{ expression = "SUM(SEARCH('{${local.ns},WorkerId} MetricName=\"SpotInterruption\"', 'Sum', 60))", id = "spot", label = "Spot interruptions" }],
        ]
      })
    },
    {
      type = "metric", x = 12, y = 20, width = 12, height = 6
      properties = merge(local.widget_defaults, {
        title = "Instances"
        metrics = [
          ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", local.asg, { stat = "Average", label = "in service" }],
          ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", local.asg, { stat = "Average", label = "desired" }],
          ["AWS/AutoScaling", "GroupPendingInstances", "AutoScalingGroupName", local.asg, { stat = "Average", label = "pending" }],
          ["AWS/AutoScaling", "GroupTerminatingInstances", "AutoScalingGroupName", local.asg, { stat = "Average", label = "terminating (draining)" }],
        ]
      })
    },
  ]
}

resource "aws_cloudwatch_dashboard" "worker" {
  dashboard_name = var.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
