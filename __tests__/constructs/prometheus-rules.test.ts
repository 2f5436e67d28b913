/**
 * The monitoring's rules, configuration and dashboard, checked by Prometheus' own promtool (Debian's prometheus
 * package, which scripts/lint.sh installs when it is missing): the rule files' syntax and lint, the alerts firing
 * as __tests__/prometheus/rules.test.yml says, the synthesized configuration, and the dashboard reading only
 * series that the rules record.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CONSOLES, PROMETHEUS_ASSETS, RULE_FILES } from '../../constructs/prometheus-server';
import { synthPlatform } from '../helpers/synth';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

function promtool(...args: string[]): string {
  try {
    return execFileSync(PROMTOOL, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${PROMTOOL} is missing: install Debian's prometheus package (scripts/lint.sh does), or set PROMTOOL`);
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

const ruleFiles = RULE_FILES.map((file) => path.join(PROMETHEUS_ASSETS, file));

test('the rule files pass promtool check rules: syntax, expressions, no duplicate rule', () => {
  const out = promtool('check', 'rules', ...ruleFiles);
  for (const file of RULE_FILES) expect(out).toContain(`Checking ${path.join(PROMETHEUS_ASSETS, file)}\n  SUCCESS`);
});

test('the alerts fire, and the recording rules compute, as the rule unit tests say (promtool test rules)', () => {
  expect(promtool('test', 'rules', path.join(__dirname, '..', 'prometheus', 'rules.test.yml'))).toContain('SUCCESS');
});

test("the synthesized configuration passes promtool check config, with the rule files it names", () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-config-'));
  try {
    const configuration = synthPlatform().stack.platform.monitoring!.prometheus.configuration;
    // The container's rule paths, pointed at the repository's files.
    const file = path.join(directory, 'prometheus.yml');
    fs.writeFileSync(file, configuration.split('/etc/prometheus/rules/').join(`${PROMETHEUS_ASSETS}/`));
    const out = promtool('check', 'config', file);
    expect(out).toContain('is valid prometheus config file syntax');
    expect(out).toContain(`SUCCESS: ${RULE_FILES.length} rule files found`);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test('the dashboard reads only recorded series of the rule files, where it reads a recorded one', () => {
  const recorded = new Set(ruleFiles.flatMap((file) => [...fs.readFileSync(file, 'utf8').matchAll(/^\s+- record: (\S+)$/gm)].map((m) => m[1])));
  for (const console of CONSOLES) {
    const html = fs.readFileSync(path.join(PROMETHEUS_ASSETS, console), 'utf8');
    const used = [...html.matchAll(/\b([a-z]+:[a-z_]+(?::[a-z0-9]+)?)\b/g)].map((m) => m[1]).filter((name) => !name.startsWith('http'));
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect({ console, name, recorded: recorded.has(name) }).toEqual({ console, name, recorded: true });
  }
});
