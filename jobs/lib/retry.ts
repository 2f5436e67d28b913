/**
 * Retrying what fails because a service is not ready yet. A service reported healthy by Docker may still be
 * refusing connections, electing a controller or replaying its log, so the jobs retry those errors for a
 * bounded time, and fail at once on anything else (bad credentials, invalid schema, a DDL error).
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND', // Docker's DNS only answers for a container once it is running
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT', // fetch's (undici's) own codes
  'UND_ERR_SOCKET',
]);

/** PostgreSQL "the database system is starting up" / "... is shutting down" (the image restarts after init). */
const PG_NOT_READY = new Set(['57P03', '57P01']);

/** Cassandra error codes for a node that is up but not serving yet. */
const CASSANDRA_NOT_READY = new Set([0x1000 /* unavailable */, 0x1001 /* overloaded */, 0x1002 /* bootstrapping */]);

const TRANSIENT_NAMES = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'TimeoutError']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  status?: unknown;
  retriable?: unknown;
  cause?: unknown;
  innerErrors?: unknown;
}

/** The error and the errors it wraps (`cause`, which kafkajs and fetch use), outermost first. */
function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let current = error; typeof current === 'object' && current !== null && chain.length < 10; ) {
    chain.push(current);
    current = (current as ErrorLike).cause;
  }
  return chain;
}

function isTransientOne(error: ErrorLike): boolean {
  const { name, code, status, retriable, message } = error;
  return (
    (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_NOT_READY.has(code))) ||
    (typeof code === 'number' && CASSANDRA_NOT_READY.has(code)) ||
    (typeof name === 'string' && TRANSIENT_NAMES.has(name)) ||
    // kafkajs marks its own errors: connection errors and e.g. LEADER_NOT_AVAILABLE are retriable
    (typeof name === 'string' && name.startsWith('KafkaJS') && retriable === true) ||
    // an HTTP response: server errors and throttling
    (typeof status === 'number' && (status >= 500 || status === 408 || status === 429)) ||
    // pg gives no code when the server closes the socket, as PostgreSQL does while restarting
    message === 'Connection terminated unexpectedly'
  );
}

/** Whether an error means "the service is not ready yet, try again". */
export function isTransient(error: unknown): boolean {
  return errorChain(error).some(isTransientOne);
}

/**
 * cassandra-driver's NoHostAvailableError embeds a multi-line dump of the first host's error in its message;
 * its per-host errors say the same in one line each.
 */
function messageOf(error: ErrorLike): unknown {
  const inner = typeof error.innerErrors === 'object' && error.innerErrors !== null ? Object.entries(error.innerErrors) : [];
  if (inner.length === 0) return error.message;
  return `no host reachable (${inner.map(([host, hostError]) => `${host}: ${describeError(hostError)}`).join('; ')})`;
}

/** A one-line description including the causes, which often say more (fetch's own message is "fetch failed"). */
export function describeError(error: unknown): string {
  const messages: string[] = [];
  for (const message of errorChain(error).map(messageOf)) {
    // Wrappers often repeat their cause's message; show each text once.
    if (typeof message === 'string' && message !== '' && !messages.some((shown) => shown.includes(message))) {
      messages.push(message);
    }
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RetryOptions {
  /** Give up once the next attempt would start later than this after the first. */
  readonly timeoutMs: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `attempt` until it resolves, retrying transient errors with exponential backoff for at most
 * `timeoutMs`. A non-transient error is rethrown as is; giving up throws an error saying for how long it tried.
 */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { timeoutMs, initialDelayMs = 500, maxDelayMs = 5000, onRetry } = options;
  const started = Date.now();
  let delayMs = initialDelayMs;
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (Date.now() + delayMs - started > timeoutMs) {
        const seconds = Math.round((Date.now() - started) / 1000);
        throw new Error(`still failing after ${attempts} attempts over ${seconds} s: ${describeError(error)}`, {
          cause: error,
        });
      }
      onRetry?.(error, attempts, delayMs);
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}
