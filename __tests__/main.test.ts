import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// main.ts is the app `cdktf` runs: each case runs cdktf.json's app command as cdktf would, into a scratch output directory.
const ROOT = path.join(__dirname, '..');
const APP_COMMAND = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;

/** The part of the synthesized stack these tests read. */
interface Plan {
  resource: { docker_volume?: Record<string, unknown>; docker_container: Record<string, { name: string; volumes?: { volume_name: string }[] }> };
}

function runApp(vars: Record<string, string>): { status: number | null; stderr: string; plan?: Plan } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kp-main-'));
  try {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KP_')));
    const result = spawnSync(APP_COMMAND, {
      cwd: ROOT, encoding: 'utf8', shell: true, env: { ...inherited, ...vars, CDKTF_OUTDIR: outdir },
    });
    const planFile = path.join(outdir, 'stacks', 'kafka-pipelining', 'cdk.tf.json');
    return { status: result.status, stderr: result.stderr, plan: fs.existsSync(planFile) ? (JSON.parse(fs.readFileSync(planFile, 'utf8')) as Plan) : undefined };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('main.ts: KP_RETAIN_VOLUMES', () => {
  test('true keeps every volume out of Terraform, under its usual name', () => {
    const { status, plan } = runApp({ KP_RETAIN_VOLUMES: 'true' });
    expect(status).toBe(0);
    expect(plan?.resource.docker_volume).toBeUndefined();
    const postgres = Object.values(plan?.resource.docker_container ?? {}).find((c) => c.name === 'kp-postgres');
    expect(postgres?.volumes).toEqual([expect.objectContaining({ volume_name: 'kp-postgres-data' })]);
  }, 120000);

  test('anything but true or false is refused by name, before any plan is written', () => {
    const { status, stderr, plan } = runApp({ KP_RETAIN_VOLUMES: 'yes' });
    expect(status).not.toBe(0);
    expect(stderr).toContain("KP_RETAIN_VOLUMES must be 'true' or 'false', got 'yes'");
    expect(plan).toBeUndefined();
  }, 120000);
});

describe('npm run synth', () => {
  // Synthesizing without the cdktf CLI skips its start (README "Synth time"): the same command, so the same plan.
  test("is cdktf.json's app itself", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.synth).toBe(APP_COMMAND);
  });
});
