/**
 * The Kafka broker's health check (constructs/assets/kafka-health.sh) against a stand-in broker: a TCP server on the
 * loopback that answers the script's ApiVersions request as a broker does, or does not answer, with Kafka's tool
 * replaced by a stub that records its runs.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '..', '..', 'constructs', 'assets', 'kafka-health.sh');
/** ApiVersions v0, correlation id 1, client id "hc": what the script writes. */
const REQUEST = Buffer.concat([Buffer.from('0000000c00120000000000010002', 'hex'), Buffer.from('hc')]);

let dir: string;
let server: net.Server | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-health-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  stubTool(0);
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function stubTool(status: number): void {
  fs.writeFileSync(path.join(dir, 'bin', 'kafka-broker-api-versions'), `#!/bin/sh\necho "$*" >>"${dir}/tool-runs"\nexit ${status}\n`, { mode: 0o755 });
}
const toolRuns = (): string[] => (fs.existsSync(path.join(dir, 'tool-runs')) ? fs.readFileSync(path.join(dir, 'tool-runs'), 'utf8').trim().split('\n') : []);

/** A server that gives each connection's bytes to `answer`; resolves with its port. */
async function broker(answer: (socket: net.Socket, received: Buffer) => void): Promise<number> {
  server = net.createServer((socket) => {
    let received = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= REQUEST.length) answer(socket, received);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** An ApiVersions v0 answer: size, correlation id, error code, then one API key's range. */
const answerWith = (correlationId: number, errorCode: number): Buffer => {
  const body = Buffer.alloc(4 + 2 + 4 + 6);
  body.writeInt32BE(correlationId, 0);
  body.writeInt16BE(errorCode, 4);
  body.writeInt32BE(1, 6);
  body.writeInt16BE(18, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
};

function check(port: number): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT, String(port), '/secrets/client.properties'], {
      env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH ?? ''}`, TMPDIR: dir },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('kafka-health.sh', () => {
  test('a broker that answers: the login is checked once with the client properties, later checks skip it', async () => {
    let requests: Buffer[] = [];
    const port = await broker((socket, received) => {
      requests = [...requests, received];
      socket.end(answerWith(1, 0));
    });
    expect((await check(port)).status).toBe(0);
    expect(requests[0]).toEqual(REQUEST);
    expect(toolRuns()).toEqual([`--bootstrap-server localhost:${port} --command-config /secrets/client.properties`]);
    expect((await check(port)).status).toBe(0);
    expect(toolRuns()).toHaveLength(1);
    expect(requests).toHaveLength(2);
  });

  test('a marker of an earlier start of the container (a restart) does not skip the login', async () => {
    fs.writeFileSync(path.join(dir, 'kafka-health-logged-in'), 'a start time that is not this one\n');
    const port = await broker((socket) => socket.end(answerWith(1, 0)));
    expect((await check(port)).status).toBe(0);
    expect(toolRuns()).toHaveLength(1);
  });

  test('a login that fails is unhealthy and is tried again at the next check', async () => {
    stubTool(1);
    const port = await broker((socket) => socket.end(answerWith(1, 0)));
    expect((await check(port)).status).toBe(1);
    expect((await check(port)).status).toBe(1);
    expect(toolRuns()).toHaveLength(2);
  });

  test('nothing listening is unhealthy, and the tool does not start', async () => {
    const port = await broker(() => undefined);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const { status, output } = await check(port);
    expect(status).toBe(1);
    expect(output).toContain(`nothing listens on port ${port} yet`);
    expect(toolRuns()).toEqual([]);
  });

  test('a connection accepted but not served (a broker still starting) is unhealthy within the read timeout', async () => {
    const port = await broker(() => undefined);
    const started = Date.now();
    const { status, output } = await check(port);
    expect(status).toBe(1);
    expect(output).toContain('does not serve requests');
    expect(Date.now() - started).toBeLessThan(9000);
    expect(toolRuns()).toEqual([]);
  }, 15000);

  test.each([
    ['an error code', answerWith(1, 35)],
    ['another correlation id', answerWith(7, 0)],
    ['a closed connection', Buffer.alloc(0)],
  ])('an answer with %s is unhealthy', async (_what, answer) => {
    const port = await broker((socket) => socket.end(answer));
    expect((await check(port)).status).toBe(1);
    expect(toolRuns()).toEqual([]);
  });
});
