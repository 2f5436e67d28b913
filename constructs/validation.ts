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

/** A number of seconds in tenths (0.5, 1, 2.5), as a setting below a second needs. */
export function validateTenthsOfSeconds(prop: string, value: number, min: number, max: number): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isFinite(value) || Math.abs(value * 10 - Math.round(value * 10)) > 1e-9 || value < min || value > max) {
    throw new PropError(prop, `must be a number of seconds in tenths between ${min} and ${max}, got ${value}`);
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
 * serve no TLS, so their clients' passwords and data would cross the network in clear text, open to anyone who
 * can reach the host.
 */
export function refuseUnencryptedNetworkAccess(prop: string, bindAddress: string, acknowledgeProp: string, acknowledged: boolean): void {
  if (acknowledged || (!Token.isUnresolved(bindAddress) && isLoopback(bindAddress))) return;
  const address = Token.isUnresolved(bindAddress) ? 'a deploy-time value, which may not be a loopback address' : `'${bindAddress}', not a loopback address (127.0.0.0/8)`;
  throw new PropError(
    prop,
    `is ${address}: every published port would answer other machines without TLS, so passwords and data would cross ` +
      'the network in clear text (Kafka\'s SCRAM exchange hides its passwords, not its records; the other services\' logins and ' +
      `everyone's data travel readable). Keep 127.0.0.1 (reach the ports through an SSH tunnel), or set ${acknowledgeProp}: true to accept that risk`,
  );
}

/** A user name and password a client logs in to a service with. */
export interface Login {
  readonly username: string;
  /** Its password; a token (a generated secret, or e.g. a sensitive TerraformVariable) keeps it out of the plan. */
  readonly password: string;
}

/** What a service accepts as a user name: a pattern, and the words an error says it in. */
export interface UserNameRule {
  readonly pattern: RegExp;
  readonly described: string;
}

/**
 * A login given as a prop (a brought service's): the user name by the service's rule; the password, unless a deploy-time
 * value, 8 or more of letters, digits and ._~-, since it goes as is into the files named by `passwordFiles`.
 */
export function validateLogin<T extends Login>(prop: string, login: T, userName: UserNameRule, passwordFiles: string): T {
  if (!userName.pattern.test(login.username)) throw new PropError(`${prop}.username`, `must be ${userName.described}, got '${login.username}'`);
  if (!Token.isUnresolved(login.password) && !/^[A-Za-z0-9._~-]{8,}$/.test(login.password)) {
    throw new PropError(`${prop}.password`, `must be 8 or more of letters, digits and ._~- (it goes into ${passwordFiles} files as is)`);
  }
  return login;
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
