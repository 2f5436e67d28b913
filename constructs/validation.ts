/**
 * Checks applied to props where they enter a construct. Each throws a PropError that names the prop, the
 * value received and what is allowed, so a bad value is caught at synth time, not at deploy time.
 */
import { Token } from 'cdktf';

/** A bad prop: the message is `<prop> <problem>`, in the words of the construct that took the prop. */
export class PropError extends Error {
  constructor(
    public readonly prop: string,
    public readonly problem: string,
  ) {
    super(`${prop} ${problem}`);
    this.name = 'PropError';
  }
}

/**
 * Runs `build` (which creates a leaf construct), re-throwing the leaf's prop errors under the names of
 * the caller's props that fed them, e.g. `{ hostPort: 'ports.kafka' }`: a pattern's user reads about the
 * props they set, a leaf's user about the leaf's.
 */
export function withPropNames<T>(names: Readonly<Record<string, string>>, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof PropError && Object.prototype.hasOwnProperty.call(names, error.prop)) {
      throw new PropError(names[error.prop], error.problem);
    }
    throw error;
  }
}

/** An integer within [min, max]; tokens (deploy-time values) are left to Terraform. */
export function validateIntegerRange(prop: string, value: number, min: number, max: number): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PropError(prop, `must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** A TCP port a service publishes on the Docker host. */
export function validatePort(prop: string, value: number): number {
  return validateIntegerRange(prop, value, 1, 65535);
}

/** A container memory limit in MiB, with a floor below which the service cannot start. */
export function validateMemoryMiB(prop: string, value: number, minimumMiB: number): number {
  return validateIntegerRange(prop, value, minimumMiB, 262144);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The host address published ports bind to: an IPv4 address such as 127.0.0.1 or 0.0.0.0. */
export function validateBindAddress(prop: string, value: string): string {
  if (Token.isUnresolved(value)) return value;
  if (!IPV4.test(value)) {
    throw new PropError(prop, `must be an IPv4 address such as 127.0.0.1 (loopback) or 0.0.0.0 (all interfaces), got '${value}'`);
  }
  return value;
}

/** Whether an IPv4 address is a loopback address (127.0.0.0/8): reachable from this host alone. */
export function isLoopback(address: string): boolean {
  return IPV4.test(address) && address.startsWith('127.');
}

/**
 * A bind address other machines can reach is refused unless `acknowledgeProp` accepts the risk: the services
 * serve no TLS, and some take no credentials yet, so their clients' passwords and data would cross the network
 * in clear text, open to anyone who can reach the host.
 */
export function refuseUnencryptedNetworkAccess(prop: string, bindAddress: string, acknowledgeProp: string, acknowledged: boolean): void {
  if (acknowledged || (!Token.isUnresolved(bindAddress) && isLoopback(bindAddress))) return;
  const address = Token.isUnresolved(bindAddress) ? 'a deploy-time value, which may not be a loopback address' : `'${bindAddress}', not a loopback address (127.0.0.0/8)`;
  throw new PropError(
    prop,
    `is ${address}: every published port would answer other machines without TLS, so passwords and data would cross ` +
      'the network in clear text (Kafka\'s SCRAM exchange hides its passwords, not its records), and the schema registry would take ' +
      `anyone, since it asks for no credentials yet. Keep 127.0.0.1 (reach the ports through an SSH tunnel), or set ${acknowledgeProp}: true to accept that risk`,
  );
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** A name prefix for containers, volumes and the network: lower-case DNS label characters. */
export function validateNamePrefix(prop: string, value: string): string {
  if (!DNS_LABEL.test(value)) {
    throw new PropError(prop, `must be 1-32 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, got '${value}'`);
  }
  return value;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

/** A host name or IP address (IPv6 in brackets) that containers dial. */
export function validateHost(prop: string, value: string): string {
  if (Token.isUnresolved(value)) return value;
  if (!HOST.test(value)) throw new PropError(prop, `must be a host name or IP address, got '${value}'`);
  return value;
}

/** A non-empty list of `host:port` addresses, as Kafka and Cassandra clients take them. */
export function validateAddresses(prop: string, values: readonly string[]): readonly string[] {
  if (values.length === 0) throw new PropError(prop, 'must list at least one host:port address, got none');
  for (const value of values) {
    if (Token.isUnresolved(value)) continue;
    const [, host, port] = /^(.*):(\d{1,5})$/.exec(value) ?? [];
    if (host === undefined || !HOST.test(host) || Number(port) < 1 || Number(port) > 65535) {
      throw new PropError(prop, `must list host:port addresses, got '${value}'`);
    }
  }
  return values;
}

/** An http(s) URL. */
export function validateHttpUrl(prop: string, value: string): string {
  if (Token.isUnresolved(value)) return value;
  if (!/^https?:\/\/\S+$/.test(value)) throw new PropError(prop, `must be an http(s) URL, got '${value}'`);
  return value;
}
