#!/usr/bin/env bash
# Synthesizes the stack and runs `terraform validate` on it with the real kreuzwerker/docker and
# hashicorp/random providers, built from Go modules (scripts/install-terraform.sh), offline: the plan of the
# environment's choices, then the replicated profile on a swarm of three hosts (its services, secrets, configs),
# its nodes pulling the host-built images from a registry by digest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
eval "$(bash scripts/install-terraform.sh)"
terraform_dir=$(dirname "$TERRAFORM_BINARY_NAME")
export PATH="$terraform_dir:$PATH"

validate() {
  local label=$1 start stack_dir
  start=$(date +%s%N)
  npx cdktf synth --output cdktf.out >/dev/null
  echo "$label: synth $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
  stack_dir=cdktf.out/stacks/kafka-pipelining
  echo "$label: resources $(node -e "const r=require('./$stack_dir/cdk.tf.json').resource; console.log(Object.values(r).reduce((n,t)=>n+Object.keys(t).length,0))")" >&2
  terraform -chdir="$stack_dir" init -input=false -backend=false >/dev/null
  printf '%s: ' "$label"
  terraform -chdir="$stack_dir" validate -no-color
}

validate plan
KP_SWARM_HOSTS=host-1,host-2,host-3 KP_SWARM_REGISTRY=10.231.0.11:5000 KP_SWARM_REGISTRY_INSECURE=true KP_IMAGE_SOURCE=host KP_PROFILE=replicated KP_CONTROL_CENTER=false KP_ACCEPT_UNENCRYPTED_NETWORK_ACCESS=true \
  validate "swarm plan"
