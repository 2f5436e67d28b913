#!/usr/bin/env bash
# Synthesizes the stack and runs `terraform validate` on it with the real kreuzwerker/docker and
# hashicorp/random providers, built from Go modules (scripts/install-terraform.sh), offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
eval "$(bash scripts/install-terraform.sh)"
terraform_dir=$(dirname "$TERRAFORM_BINARY_NAME")
export PATH="$terraform_dir:$PATH"

start=$(date +%s%N)
npx cdktf synth --output cdktf.out >/dev/null
echo "synth: $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
stack_dir=cdktf.out/stacks/kafka-pipelining
echo "resources: $(node -e "const r=require('./$stack_dir/cdk.tf.json').resource; console.log(Object.values(r).reduce((n,t)=>n+Object.keys(t).length,0))")" >&2
terraform -chdir="$stack_dir" init -input=false -backend=false >/dev/null
terraform -chdir="$stack_dir" validate -no-color
