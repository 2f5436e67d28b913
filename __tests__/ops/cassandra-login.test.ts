import { policies, types } from 'cassandra-driver';
import { IdempotentTimeoutRetryPolicy } from '../../ops/cassandra-login';

const info = (nbRetry: number) => ({ nbRetry, query: 'SELECT id FROM t WHERE id IN ?' }) as unknown as policies.retry.OperationInfo;
// The driver's decision codes, which its typings declare only as a type.
const { retry, rethrow } = (policies.retry.RetryPolicy as unknown as { retryDecision: Record<'retry' | 'rethrow', number> }).retryDecision;
const quorum = types.consistencies.localQuorum;

describe('IdempotentTimeoutRetryPolicy', () => {
  const policy = new IdempotentTimeoutRetryPolicy(3);

  test.each([0, 1, 2])('retries a read timeout, a write timeout and an unavailable replica after %i retries, at the same consistency, on the next coordinator', (n) => {
    for (const decision of [
      policy.onReadTimeout(info(n), quorum),
      policy.onWriteTimeout(info(n), quorum),
      policy.onUnavailable(info(n), quorum),
    ]) {
      expect(decision).toEqual({ decision: retry, consistency: quorum, useCurrentHost: false });
    }
  });

  test('gives up once its retries are spent, so a ring that stays short of replicas fails the read', () => {
    expect(policy.onReadTimeout(info(3), quorum).decision).toBe(rethrow);
    expect(policy.onWriteTimeout(info(3), quorum).decision).toBe(rethrow);
    expect(policy.onUnavailable(info(3), quorum).decision).toBe(rethrow);
  });
});
