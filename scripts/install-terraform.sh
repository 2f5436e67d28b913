#!/usr/bin/env bash
# Builds terraform and the two providers the stack uses from Go modules, because the Go module
# proxy is the only source of them that this machine and CI can reach (no release downloads,
# no registry.terraform.io). Result: $KP_CACHE_DIR/terraform/{bin/terraform,plugins/,terraformrc}.
# stdout carries only the two `export` lines, so callers can: eval "$(bash scripts/install-terraform.sh)"
# Callers that need `terraform` on PATH (cdktf-cli) prepend $KP_CACHE_DIR/terraform/bin.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/versions.sh
source "$ROOT/scripts/versions.sh"

# ---- pins: constructs/versions.ts BUILD_TOOLS and TERRAFORM_PROVIDERS (why each, there) -----------
pins=$(kp_versions_ts v.BUILD_TOOLS.terraform v.BUILD_TOOLS.terraformNestedModules \
  v.TERRAFORM_PROVIDERS.random v.BUILD_TOOLS.randomProviderModule \
  v.BUILD_TOOLS.randomProviderSums.zip v.BUILD_TOOLS.randomProviderSums.goMod \
  v.TERRAFORM_PROVIDERS.docker v.BUILD_TOOLS.dockerProviderModule v.BUILD_TOOLS.goReplacedRequire)
{
  read -r TERRAFORM_VERSION
  read -r TERRAFORM_NESTED_VERSION
  read -r RANDOM_VERSION
  read -r random_module_version
  read -r random_zip_sum
  read -r random_mod_sum
  read -r DOCKER_VERSION
  read -r docker_module_version
  read -r go_replaced_require
} <<<"$pins"
# Providers: <registry version> <module path declared in its go.mod> <module and version the proxy serves>.
RANDOM_MODULE=github.com/terraform-providers/terraform-provider-random
RANDOM_SOURCE="$RANDOM_MODULE $random_module_version"
RANDOM_SUMS="$RANDOM_SOURCE $random_zip_sum
$RANDOM_SOURCE/go.mod $random_mod_sum"
DOCKER_MODULE=github.com/terraform-providers/terraform-provider-docker
DOCKER_SOURCE="github.com/kreuzwerker/terraform-provider-docker $docker_module_version"
# -----------------------------------------------------------------------------------------------

CACHE_ROOT=${KP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka-pipelining}
OUT=$CACHE_ROOT/terraform
PLUGINS=$OUT/plugins/registry.terraform.io
log() { echo "install-terraform: $*" >&2; }

# Everything Go writes stays in the cache outside the clone, so warm runs in a fresh clone reuse it.
export GOPATH=$CACHE_ROOT/go GOMODCACHE=$CACHE_ROOT/go/pkg/mod GOCACHE=$CACHE_ROOT/go/build
export GOFLAGS="-mod=mod -trimpath -buildvcs=false" CGO_ENABLED=0
# Lets an older local Go fetch the toolchain a go.mod asks for (it comes from the module proxy).
export GOTOOLCHAIN=auto

PLATFORM=$(go env GOOS)_$(go env GOARCH)
TF_BIN=$OUT/bin/terraform
DOCKER_BIN=$PLUGINS/kreuzwerker/docker/$DOCKER_VERSION/$PLATFORM/terraform-provider-docker_v$DOCKER_VERSION
RANDOM_BIN=$PLUGINS/hashicorp/random/$RANDOM_VERSION/$PLATFORM/terraform-provider-random_v$RANDOM_VERSION
STAMP=$OUT/stamp
WANT_STAMP="terraform=$TERRAFORM_VERSION/$TERRAFORM_NESTED_VERSION docker=$DOCKER_VERSION/$DOCKER_SOURCE random=$RANDOM_VERSION/$RANDOM_SOURCE $PLATFORM"

# [SUMS=go.sum-lines] gobuild NAME OUTPUT MAIN_PACKAGE LDFLAGS GO_MOD_LINES...
# A throwaway main module lets us choose `require`/`replace` lines ourselves: dependencies'
# own replace directives are ignored there, and a module whose declared path differs from its
# repository (both providers) can be pulled in via `replace`.
gobuild() {
  local name=$1 out=$2 pkg=$3 ldflags=$4 dir=$OUT/build/$1
  shift 4
  mkdir -p "$dir" "$(dirname "$out")"
  { echo "module localbuild/$name"; echo "go $(go env GOVERSION | sed 's/^go//')"; printf '%s\n' "$@"; } >"$dir/go.mod"
  # go.sum is kept between runs: go then re-verifies cached modules without asking the checksum DB.
  if [[ -n ${SUMS:-} ]] && ! grep -qsF "$SUMS" "$dir/go.sum"; then echo "$SUMS" >>"$dir/go.sum"; fi
  log "building $name ($pkg) ..."
  (cd "$dir" && go build -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
}

if [[ -x $TF_BIN && -x $DOCKER_BIN && -x $RANDOM_BIN && "$(cat "$STAMP" 2>/dev/null)" == "$WANT_STAMP" ]] \
   && CHECKPOINT_DISABLE=1 "$TF_BIN" version 2>/dev/null | head -1 | grep -qx "Terraform v$TERRAFORM_VERSION"; then
  log "up to date ($WANT_STAMP)"
else
  rm -f "$STAMP"
  nested=()
  for m in internal/legacy internal/backend/remote-state/{azure,consul,cos,gcs,kubernetes,oss,pg,s3}; do
    nested+=("replace github.com/hashicorp/terraform/$m => github.com/hashicorp/terraform/$m $TERRAFORM_NESTED_VERSION")
  done
  # version.dev=no is what release builds set; without it terraform calls itself "v<version>-dev".
  gobuild terraform "$TF_BIN" github.com/hashicorp/terraform "-X github.com/hashicorp/terraform/version.dev=no" \
    "require github.com/hashicorp/terraform v$TERRAFORM_VERSION" "${nested[@]}"
  SUMS=$RANDOM_SUMS gobuild random "$RANDOM_BIN" "$RANDOM_MODULE" "" "require $RANDOM_SOURCE"
  gobuild docker "$DOCKER_BIN" "$DOCKER_MODULE" "-X main.version=$DOCKER_VERSION" \
    "require $DOCKER_MODULE $go_replaced_require" "replace $DOCKER_MODULE => $DOCKER_SOURCE"
  echo "$WANT_STAMP" >"$STAMP"
fi

# The mirror-only config keeps `terraform init` from ever trying registry.terraform.io.
cat >"$OUT/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$OUT/plugins"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
EOF

echo "export TERRAFORM_BINARY_NAME=$TF_BIN"
echo "export TF_CLI_CONFIG_FILE=$OUT/terraformrc"
