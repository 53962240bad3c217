output "queue_url" {
  description = "SQS_QUEUE_URL"
  value       = aws_sqs_queue.main.url
}

output "queue_arn" {
  value = aws_sqs_queue.main.arn
}

output "dead_letter_queue_url" {
  description = "DLQ_QUEUE_URL"
  value       = aws_sqs_queue.dlq.url
}

output "dead_letter_queue_arn" {
  value = aws_sqs_queue.dlq.arn
}

output "alarm_topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "worker_role_arn" {
  description = "Admit this role in the OpenSearch domain's access policy (and fine-grained access control role mapping)."
  value       = aws_iam_role.worker.arn
}

output "instance_profile_arn" {
  value = aws_iam_instance_profile.worker.arn
}

output "security_group_id" {
  description = "Admit this group on a VPC OpenSearch domain and on interface VPC endpoints."
  value       = aws_security_group.worker.id
}

output "launch_template_id" {
  value = aws_launch_template.worker.id
}

output "autoscaling_group_name" {
  value = aws_autoscaling_group.worker.name
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.worker.name
}

output "dashboard_url" {
  value = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards:name=${aws_cloudwatch_dashboard.worker.dashboard_name}"
}

output "rolling_deploy_command" {
  description = "Roll a new AMI out (each replaced worker drains first; rolls back if the DLQ alarm fires)."
  value       = "infra/deploy/rolling-deploy.sh --region ${local.region} --asg ${aws_autoscaling_group.worker.name} --manifest infra/packer/.cache/manifest.json --rollback-alarm ${aws_cloudwatch_metric_alarm.dlq_not_empty.alarm_name}"
}
