import * as fs from 'fs';
import * as path from 'path';

/**
 * constructs/versions.ts is the one place for versions: images/ and scripts/ get theirs from it (build
 * arguments, scripts/versions.sh), so that a bump is one edit and no copy goes stale (as a Dockerfile
 * default of Spark 3.5.6 once did next to versions.ts's 3.5.7). This test fails naming file:line for
 * anything in those folders that looks like a version.
 */

const ROOT = path.join(__dirname, '..', '..');
const SCANNED = ['images', 'scripts'];

/** What looks like a version. Each pattern is tried on every line, after NOT_VERSIONS are taken out. */
const RULES: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
  // 3.5.7, v1.11.4, 21.0.8.2, and Go pseudo-versions (v0.0.0-20250409131005-35645b8fca68).
  { name: 'dotted version', pattern: /(?<![\w.])v?\d+\.\d+\.\d+/ },
  // pip's uv==0.13.9 or cqlsh~=6.2, Go's module@v1.2, npm's npm@10.
  { name: 'pinned package', pattern: /(?:==|~=|@v?)\d/ },
  // python3.11
  { name: 'version after a name', pattern: /[A-Za-z]\d+\.\d+/ },
  // ARG SPARK_VERSION=3.5.6, ${KP_PYTHON_VERSION:-3.11}, JAVA_MAJOR=17, --python-version 3.11 (not `--version 2>&1`).
  { name: 'version default', pattern: /[A-Z_]*(?:VERSION|MAJOR)[A-Z_]*["']?\s*(?::-|=)\s*["']?v?\d|--[\w-]+-version[\s=]+["']?v?\d/ },
  // Kafka 3.9, Java 21, postgresql-15, jre:17 (a single digit is more often a count or a uid:gid).
  {
    name: 'version of a named product',
    pattern:
      /\b(?:java|jdk|jre|openjdk|temurin|python|scala|kafka|zookeeper|confluent platform|spark|pyspark|cassandra|cqlsh|airflow|postgresql|postgres|node\.js|node|npm|apicurio|debian|glibc|terraform|uv)[\s:-]v?(?:\d+\.\d|\d{2})/i,
  },
  // A Debian release is a version too (HOST_BUILD.debianSuite).
  { name: 'Debian release name', pattern: /\b(?:buster|bullseye|bookworm|trixie|forky)\b/i },
];

/** Not versions of anything the project installs, though the rules would take them for one. */
const NOT_VERSIONS: ReadonlyArray<{ readonly what: string; readonly pattern: RegExp }> = [
  { what: 'the IPv4 any-address and loopback addresses', pattern: /(?<![\w.])(?:0\.0\.0\.0|127\.\d+\.\d+\.\d+)(?![\w.])/g },
  { what: "the test swarm's private network (scripts/swarm-hosts.sh) and its hosts' addresses", pattern: /(?<![\w.])10\.231\.\d+(?:\.\d+)?(?![\w.])/g },
  { what: "a Maven POM's format version, which Maven requires", pattern: /<modelVersion>4\.0\.0<\/modelVersion>/g },
];

interface Finding {
  readonly line: number;
  readonly rule: string;
  readonly text: string;
}

/** Every line of `text` that looks like it holds a version, with the first rule it breaks. */
function versionLiterals(text: string): Finding[] {
  const findings: Finding[] = [];
  text.split('\n').forEach((original, index) => {
    const line = NOT_VERSIONS.reduce((rest, allowed) => rest.replace(allowed.pattern, ''), original);
    const rule = RULES.find((r) => r.pattern.test(line));
    if (rule) findings.push({ line: index + 1, rule: rule.name, text: original.trim() });
  });
  return findings;
}

function filesUnder(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('no version literal in images/ or scripts/', () => {
  test.each([
    ['a Dockerfile default', 'ARG SPARK_VERSION=3.5.6'],
    ['an interpreter named with its version', 'PYTHON=${PYTHON:-python3.11}'],
    ['a Go pseudo-version', 'require m v0.0.0-20250409131005-35645b8fca68'],
    ['a pip pin', 'pip install "uv==0.13.9"'],
    ['an image tag', 'ARG JRE_IMAGE=kafka-pipelining/jre:17'],
    ['a version in prose', '# Apicurio 3.3 needs Java 21'],
    ['a Debian release', 'FROM debian:bookworm'],
  ])('finds %s', (_what, sample) => {
    expect(versionLiterals(`#!/usr/bin/env bash\n${sample}\n`)).toEqual([expect.objectContaining({ line: 2, text: sample })]);
  });

  test.each([
    ['addresses', 'listen 0.0.0.0:8081; proxy_pass http://127.0.0.1:8080/apis/ccompat/v7/;'],
    ["the test swarm's network", 'subnet=${KP_SWARM_SUBNET:-10.231.0}; curl http://10.231.0.12:17000/'],
    ['a fraction', 'sleep 0.5'],
    ["a POM's model version", '<modelVersion>4.0.0</modelVersion>'],
    ['a build argument without a default', 'ARG SPARK_VERSION'],
    ["Debian's python3 package", 'apt-get install -y --no-install-recommends python3 python3-venv'],
    ['a JSON version field', `grep -qx 'latest-version: "version":1' <<<"$out"`],
    ['an HTTP version', 'proxy_http_version 1.1;'],
    ["a tool's --version", 'printf "%s\\n" "$(cqlsh --version 2>&1)"'],
    ['a uid:gid', 'chown -R airflow:0 /opt/airflow-venv'],
  ])('leaves %s alone', (_what, sample) => {
    expect(versionLiterals(sample)).toEqual([]);
  });

  test('no file under images/ or scripts/ holds one', () => {
    const findings = SCANNED.flatMap((folder) => filesUnder(path.join(ROOT, folder))).flatMap((file) =>
      versionLiterals(fs.readFileSync(file, 'utf8')).map((f) => `${path.relative(ROOT, file)}:${f.line}: ${f.rule}: ${f.text}`),
    );
    expect(findings).toEqual([]);
  });
});
