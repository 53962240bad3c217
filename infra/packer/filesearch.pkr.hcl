# The worker's AMI: Debian 12 + Node (official tarball, signature-checked) + Tesseract (jpn,
# jpn_vert, eng, osd) + Poppler + the app built from this repository, the systemd units, the
# CloudWatch agent for logs and EMF metrics, then cleaned for cloning.
#
#   eval "$(scripts/infra/install-packer.sh)"           # Packer + the Amazon plugin, from source
#   "$PACKER" validate infra/packer
#   "$PACKER" build -var region=ap-northeast-1 infra/packer
#
# The AMI id lands in infra/packer/.cache/manifest.json (last_run_uuid → artifact_id
# "region:ami-…"), which infra/deploy/rolling-deploy.sh reads.
#
# Why Debian 12: it is what CI runs the test suite on (scripts/install-system-deps.sh installs the
# same tesseract-ocr-*/poppler packages), so the OCR and PDF tools in production are the tested
# ones, and they come from Debian's signed repositories with security updates. Node is the one
# exception: bookworm ships Node 18, the app needs >= 20 (see scripts/install-node.sh).

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0, < 2.0.0"
    }
  }
}

variable "region" {
  type        = string
  description = "Region the AMI is built in (copy it elsewhere with ami_regions if needed)."
  default     = "ap-northeast-1"
}

variable "architecture" {
  type        = string
  description = "x86_64 or arm64; the launch template's instance types must match."
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "The architecture must be x86_64 or arm64."
  }
}

variable "instance_type" {
  type        = string
  description = "Builder instance; the app's native modules compile on it."
  default     = "t3.large"
}

variable "subnet_id" {
  type        = string
  description = "Subnet of the builder instance (empty: the default VPC)."
  default     = ""
}

variable "kms_key_id" {
  type        = string
  description = "KMS key for the AMI's encrypted snapshot (empty: the account's default EBS key)."
  default     = ""
}

variable "root_volume_gib" {
  type    = number
  default = 16
}

variable "node_version" {
  type        = string
  description = "Node.js release baked in: the one the test suite runs on in CI (package.json engines: >= 20)."
  default     = "20.20.2"
}

variable "node_sha256" {
  type        = string
  description = "Optional extra pin: the tarball's SHA-256 (the signed SHASUMS256.txt is always checked)."
  default     = ""
}

variable "app_ref" {
  type        = string
  description = "Git revision of this repository that is archived and installed (a tag on release)."
  default     = "HEAD"
}

variable "app_version" {
  type        = string
  description = "Version label in the AMI name and tags (CI passes the tag)."
  default     = "dev"
}

variable "ami_name_prefix" {
  type    = string
  default = "filesearch-worker"
}

locals {
  stamp       = formatdate("YYYYMMDDhhmmss", timestamp())
  repo_root   = abspath("${path.root}/../..")
  build_dir   = "${path.root}/.cache"
  app_archive = "${path.root}/.cache/filesearch-src.tar.gz"
  debian_arch = var.architecture == "arm64" ? "arm64" : "amd64"
  tags = {
    Name        = "${var.ami_name_prefix}-${var.app_version}"
    Application = "filesearch-worker"
    AppVersion  = var.app_version
    AppRef      = var.app_ref
    NodeVersion = var.node_version
    BaseImage   = "debian-12"
  }
}

source "amazon-ebs" "worker" {
  region          = var.region
  ami_name        = "${var.ami_name_prefix}-${var.app_version}-${local.debian_arch}-${local.stamp}"
  ami_description = "filesearch-worker ${var.app_version} on Debian 12 (${var.architecture})"
  instance_type   = var.instance_type
  subnet_id       = var.subnet_id == "" ? null : var.subnet_id

  # Debian's official images (account 136693071363, https://wiki.debian.org/Cloud/AmazonEC2Image).
  source_ami_filter {
    filters = {
      name                = "debian-12-${local.debian_arch}-*"
      architecture        = var.architecture
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["136693071363"]
    most_recent = true
  }

  ssh_username = "admin"
  # The temporary security group admits SSH from the builder's own address only.
  temporary_security_group_source_public_ip = true

  # IMDSv2 only, on the builder and (imds_support) on every instance launched from the AMI.
  imds_support = "v2.0"
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  encrypt_boot = true
  kms_key_id   = var.kms_key_id == "" ? null : var.kms_key_id
  ena_support  = true

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = var.root_volume_gib
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  aws_polling {
    delay_seconds = 15
    max_attempts  = 240
  }

  tags          = local.tags
  snapshot_tags = local.tags
  run_tags      = merge(local.tags, { Name = "packer-builder-${var.ami_name_prefix}" })
}

build {
  name    = "filesearch-worker"
  sources = ["source.amazon-ebs.worker"]

  # The app as committed (never the working tree's untracked files or node_modules).
  provisioner "shell-local" {
    inline = [
      "mkdir -p '${local.build_dir}'",
      "git -C '${local.repo_root}' archive --format=tar.gz --prefix=filesearch/ -o '${local.app_archive}' '${var.app_ref}'",
    ]
  }

  provisioner "shell" {
    inline = ["mkdir -p /tmp/filesearch-image/systemd"]
  }

  provisioner "file" {
    source      = local.app_archive
    destination = "/tmp/filesearch-image/filesearch-src.tar.gz"
    # Written by the shell-local step above, so it cannot exist when the template is validated.
    generated = true
  }

  provisioner "file" {
    source      = "${path.root}/../systemd/"
    destination = "/tmp/filesearch-image/systemd"
  }

  provisioner "file" {
    sources = [
      "${path.root}/user-data.sh",
      "${path.root}/files/amazon-cloudwatch-agent.json",
      "${path.root}/files/logrotate-filesearch",
    ]
    destination = "/tmp/filesearch-image/"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} bash {{ .Path }}"
    environment_vars = [
      "NODE_VERSION=${var.node_version}",
      "NODE_SHA256=${var.node_sha256}",
      "APP_VERSION=${var.app_version}",
      "IMAGE_DIR=/tmp/filesearch-image",
    ]
    scripts = [
      "${path.root}/scripts/base.sh",
      "${path.root}/scripts/install-node.sh",
      "${path.root}/scripts/install-app.sh",
      "${path.root}/scripts/verify-image.sh",
      "${path.root}/scripts/cleanup.sh",
    ]
  }

  post-processor "manifest" {
    output     = "${path.root}/.cache/manifest.json"
    strip_path = true
    custom_data = {
      app_version = var.app_version
      app_ref     = var.app_ref
    }
  }
}
