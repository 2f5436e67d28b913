# shellcheck shell=bash
# Sourced by the scripts that need a version: constructs/versions.ts is the one place for them.
#
#   kp_versions_ts EXPR...   prints the value of each JavaScript expression over versions.ts's exports
#                            `v`, one a line, e.g. `kp_versions_ts v.AIRFLOW_VERSION` (a string as is,
#                            anything else as JSON); several in one call save a node start each
#
# Needs node and this checkout's node_modules (`npm ci`), for esbuild.

kp_versions_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

kp_versions_ts() {
  local esbuild=$kp_versions_root/node_modules/.bin/esbuild
  [[ -x "$esbuild" ]] || { echo "$esbuild is missing: run npm ci (versions come from constructs/versions.ts)" >&2; return 1; }
  # shellcheck disable=SC2016  # JavaScript, not shell
  "$esbuild" "$kp_versions_root/constructs/versions.ts" --format=cjs --log-level=error | node -e '
    let src = "";
    process.stdin.on("data", (d) => (src += d)).on("end", () => {
      const m = { exports: {} };
      new Function("module", "exports", src)(m, m.exports);
      const v = m.exports;
      for (const expression of process.argv.slice(1)) {
        const value = eval(expression);
        if (value === undefined) { console.error(`undefined: ${expression}`); process.exit(1); }
        console.log(typeof value === "string" ? value : JSON.stringify(value));
      }
    });' "$@"
}
