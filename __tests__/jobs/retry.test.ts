import * as cassandra from 'cassandra-driver';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { DatabaseError } from 'pg';
import { describeError, isTransient, retry } from '../../jobs/lib/retry';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What kafkajs builds from a broker's error code. */
function protocolError(type: string, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(type), { type, retriable }));
}

function pgError(code: string): DatabaseError {
  return Object.assign(new DatabaseError('server says no', 0, 'error'), { code });
}

describe('isTransient', () => {
  it.each<[string, unknown]>([
    ['a refused connection', withCode('connect ECONNREFUSED 10.0.0.2:5432', 'ECONNREFUSED')],
    ['a host not (yet) in DNS', withCode('getaddrinfo ENOTFOUND kafka', 'ENOTFOUND')],
    ['fetch failing to connect', new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') })],
    ['a kafkajs connection error', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')],
    [
      'kafkajs giving up on a retriable error',
      new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error'), { retryCount: 2, retryTime: 300 }),
    ],
    ['kafkajs LEADER_NOT_AVAILABLE', protocolError('LEADER_NOT_AVAILABLE', true)],
    ['PostgreSQL starting up', pgError('57P03')],
    ['PostgreSQL closing the socket', new Error('Connection terminated unexpectedly')],
    ['no Cassandra host available', new cassandra.errors.NoHostAvailableError({})],
    ['Cassandra bootstrapping', new cassandra.errors.ResponseError(0x1002, 'bootstrapping')],
    ['Cassandra unavailable', new cassandra.errors.ResponseError(0x1000, 'cannot achieve consistency')],
    ['an HTTP 503', Object.assign(new Error('HTTP 503'), { status: 503 })],
    ['a request timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
  ])('is true for %s', (_case, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a plain error', new Error('boom')],
    ['wrong credentials', pgError('28P01')],
    ['an SQL syntax error', pgError('42601')],
    ['a Cassandra syntax error', new cassandra.errors.ResponseError(0x2000, 'line 1:0 no viable alternative')],
    ['an invalid replication factor', protocolError('INVALID_REPLICATION_FACTOR', false)],
    ['an HTTP 409 (incompatible schema)', Object.assign(new Error('HTTP 409'), { status: 409 })],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
  ])('is false for %s', (_case, error) => {
    expect(isTransient(error)).toBe(false);
  });
});

describe('describeError', () => {
  it('adds the causes that say more', () => {
    const error = new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED 127.0.0.1:8081', 'ECONNREFUSED') });
    expect(describeError(error)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:8081');
  });

  it('shows a message repeated by a wrapper once', () => {
    const inner = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    expect(describeError(new KafkaJSNumberOfRetriesExceeded(inner, { retryCount: 2, retryTime: 300 }))).toBe(
      'Connection error: connect ECONNREFUSED',
    );
  });

  it("lists cassandra-driver's per-host errors on one line", () => {
    const error = new cassandra.errors.NoHostAvailableError({
      'cassandra:9042': withCode('connect ECONNREFUSED 10.0.0.3:9042', 'ECONNREFUSED'),
    });
    expect(describeError(error)).toBe('no host reachable (cassandra:9042: connect ECONNREFUSED 10.0.0.3:9042)');
  });

  it('describes a thrown non-error', () => {
    expect(describeError('just a string')).toBe('just a string');
  });
});

describe('retry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const refused = () => withCode('connect ECONNREFUSED', 'ECONNREFUSED');

  it('returns the first result without waiting', async () => {
    const attempt = jest.fn().mockResolvedValue('ready');
    await expect(retry(attempt, { timeoutMs: 1000 })).resolves.toBe('ready');
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('retries transient errors with exponential backoff up to the maximum delay', async () => {
    const attempt = jest
      .fn()
      .mockRejectedValueOnce(refused())
      .mockRejectedValueOnce(refused())
      .mockRejectedValueOnce(refused())
      .mockResolvedValue('ready');
    const onRetry = jest.fn();
    const result = retry(attempt, { timeoutMs: 60_000, initialDelayMs: 100, maxDelayMs: 300, onRetry });
    await jest.advanceTimersByTimeAsync(100 + 200 + 300);
    await expect(result).resolves.toBe('ready');
    expect(attempt).toHaveBeenCalledTimes(4);
    expect(onRetry.mock.calls.map(([, attemptNumber, delayMs]) => [attemptNumber, delayMs])).toEqual([
      [1, 100],
      [2, 200],
      [3, 300],
    ]);
  });

  it('does not retry other errors', async () => {
    const error = new Error('password authentication failed');
    const attempt = jest.fn().mockRejectedValue(error);
    await expect(retry(attempt, { timeoutMs: 60_000 })).rejects.toBe(error);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('gives up when the next attempt would start after the timeout, saying how long it tried', async () => {
    const last = refused();
    const attempt = jest.fn().mockRejectedValueOnce(refused()).mockRejectedValueOnce(refused()).mockRejectedValue(last);
    const result = retry(attempt, { timeoutMs: 3000, initialDelayMs: 500, maxDelayMs: 5000 });
    const settled = expect(result).rejects.toMatchObject({
      message: 'still failing after 3 attempts over 2 s: connect ECONNREFUSED',
      cause: last,
    });
    // attempts at 0, 500 and 1500 ms; the next would start at 3500 ms, past the 3000 ms bound
    await jest.advanceTimersByTimeAsync(3000);
    await settled;
    expect(attempt).toHaveBeenCalledTimes(3);
  });
});
