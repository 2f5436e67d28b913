#!/usr/bin/env bash
# Builds terraform and the two providers the stack uses from Go modules, because the Go module
# proxy is the only source of them that this machine and CI can reach (no release downloads,
# no registry.terraform.io). Result: $KP_CACHE_DIR/terraform/{bin/terraform,plugins/,terraformrc}.
# stdout carries only the two `export` lines, so callers can: eval "$(bash scripts/install-terraform.sh)"
# Callers that need `terraform` on PATH (cdktf-cli) prepend $KP_CACHE_DIR/terraform/bin.
set -euo pipefail

# ---- pins ------------------------------------------------------------------------------------
TERRAFORM_VERSION=1.11.4
# terraform's go.mod `replace`s its nested backend modules with local dirs, which breaks
# `go install ...@v1.11.4`; we pin those modules to the pseudo-version of the v1.11.4 commit.
TERRAFORM_NESTED_VERSION=v0.0.0-20250409131005-35645b8fca68
# Providers: <registry version> <module path declared in its go.mod> <module:version the proxy serves>.
# random 3.7.2 = commit bc2ddb552b46, which the proxy serves under the declared (old) path. The
# checksum DB has no record of it, so we pin its hashes ourselves (zip checked equal to the tag's tree).
RANDOM_VERSION=3.7.2
RANDOM_MODULE=github.com/terraform-providers/terraform-provider-random
RANDOM_SOURCE="$RANDOM_MODULE v1.3.2-0.20250422105519-bc2ddb552b46"
RANDOM_SUMS="$RANDOM_SOURCE h1:xKgqtuIoGzvqpCXcHvLrftZm4h9XusvFIa2OBdAkI4g=
$RANDOM_SOURCE/go.mod h1:WKboV22U846s7rApwTd7m1abkq7mjwkBGbdn7BQBJRM="
# docker: the proxy here refuses v3.6.2's commit (v0.0.0-20250613214648-2f20f8c3ce82, under either
# module path); the only docker build it serves is commit 96d331c98ff4 (2026-09-16, on top of v4.6.0).
DOCKER_VERSION=4.6.0
DOCKER_MODULE=github.com/terraform-providers/terraform-provider-docker
DOCKER_SOURCE="github.com/kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4"
# -----------------------------------------------------------------------------------------------

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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
  # version.dev=no is what release builds set; without it terraform calls itself "v1.11.4-dev".
  gobuild terraform "$TF_BIN" github.com/hashicorp/terraform "-X github.com/hashicorp/terraform/version.dev=no" \
    "require github.com/hashicorp/terraform v$TERRAFORM_VERSION" "${nested[@]}"
  SUMS=$RANDOM_SUMS gobuild random "$RANDOM_BIN" "$RANDOM_MODULE" "" "require $RANDOM_SOURCE"
  gobuild docker "$DOCKER_BIN" "$DOCKER_MODULE" "-X main.version=$DOCKER_VERSION" \
    "require $DOCKER_MODULE v0.0.0-00010101000000-000000000000" "replace $DOCKER_MODULE => $DOCKER_SOURCE"
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
