#!/usr/bin/env bash
# Sourced by the platform's shell entrypoints (postgres-start.sh, airflow-init.sh). On a swarm a secret reaches a
# container as a file under /run/secrets, named by <NAME>_FILE, never as the variable itself; on a single Docker
# host the variable is set. `read_secret_files NAME...` makes both look alike to the script: each NAME that is
# unset while <NAME>_FILE is set is read from that file (one trailing newline dropped) and exported, and
# <NAME>_FILE is unset (the official images' entrypoints refuse a variable set both ways). A file that cannot be
# read is an error naming the variable and the file; nothing else is printed, the value least of all.

read_secret_files() {
  local name file_variable file value
  for name in "$@"; do
    file_variable=${name}_FILE
    file=${!file_variable:-}
    [[ -n "$file" ]] || continue
    if [[ -n "${!name:-}" ]]; then
      printf '%s: both %s and %s are set; set one\n' "${0##*/}" "$name" "$file_variable" >&2
      return 1
    fi
    if [[ ! -r "$file" ]]; then
      printf '%s: %s names %s, which cannot be read\n' "${0##*/}" "$file_variable" "$file" >&2
      return 1
    fi
    value=$(<"$file")
    printf -v "$name" '%s' "$value"
    export "${name?}"
    unset "$file_variable"
  done
}
