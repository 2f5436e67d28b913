import { ContainerHealthcheck } from '@cdktf/provider-docker/lib/container';
import { PropError, validateHttpUrl, validateIntegerRange, validatePort } from './validation';

/** How often a health check runs and how many failures make a container unhealthy. */
export interface HealthCheckOptions {
  /**
   * Seconds between checks.
   * @default 10
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds one check may take.
   * @default 10
   */
  readonly timeoutSeconds?: number;
  /**
   * Seconds after start during which failures do not count against `retries`.
   * @default 30
   */
  readonly startPeriodSeconds?: number;
  /**
   * Consecutive failures that mark the container unhealthy.
   * @default 6
   */
  readonly retries?: number;
}

/**
 * A standalone check's (HealthCheck.withStandalone): as often as it is cheap, and as patient as the whole check, for a
 * JVM that starts on a host where every other service starts too (a first swarm deploy took 90 s to format a broker).
 */
export const STANDALONE_HEALTH_TIMING: HealthCheckOptions = { intervalSeconds: 5, startPeriodSeconds: 120, retries: 24 };

/** An HTTP check that may log in. */
export interface HttpHealthCheckOptions extends HealthCheckOptions {
  /**
   * A netrc file in the container with the login for the URL's host (`curl --netrc-file`), so no password is on the
   * check's command line, which `docker inspect` shows.
   * @default - no login
   */
  readonly netrcFile?: string;
}

/** A TCP check that may also exchange a word with the server. */
export interface TcpHealthCheckOptions extends HealthCheckOptions {
  /**
   * A word written once connected, e.g. ZooKeeper's four-letter `srvr`.
   * @default - nothing is written
   */
  readonly send?: string;
  /**
   * A `grep` pattern that a line of the server's answer must match, e.g. `^Mode: `.
   * @default - the answer is not read: an accepted connection passes
   */
  readonly expectLine?: string;
}

/**
 * A container health check, run by Docker inside the container (the CMD form: no shell unless the check
 * starts one). Built by a factory so each service states what it checks, not how a probe is spelt.
 */
export class HealthCheck {
  /** Runs `command` in the container; exit status 0 is healthy. */
  public static command(command: string[], options: HealthCheckOptions = {}): HealthCheck {
    if (command.length === 0) throw new PropError('command', 'must name a program, got []');
    return new HealthCheck(command, options);
  }

  /** A GET of `url` from inside the container must answer 2xx. Needs `curl` in the image. */
  public static http(url: string, options: HttpHealthCheckOptions = {}): HealthCheck {
    const login = options.netrcFile === undefined ? [] : ['--netrc-file', options.netrcFile];
    return new HealthCheck(['curl', '-fsS', '-o', '/dev/null', ...login, validateHttpUrl('url', url)], options);
  }

  /**
   * A TCP connection to `port` on the container's loopback must open (and, with `send`/`expectLine`, the
   * server must answer as expected). Needs `bash`, whose `/dev/tcp` makes the connection.
   */
  public static tcp(port: number, options: TcpHealthCheckOptions = {}): HealthCheck {
    validatePort('port', port);
    // Both go into a shell line unquoted or single-quoted: refuse what would change its meaning.
    if (options.send !== undefined && !/^[A-Za-z0-9]+$/.test(options.send)) {
      throw new PropError('send', `must be letters and digits only, got '${options.send}'`);
    }
    if (options.expectLine !== undefined && /['\n]/.test(options.expectLine)) {
      throw new PropError('expectLine', `must not contain a single quote or a newline, got '${options.expectLine}'`);
    }
    const steps = [
      `exec 3<>/dev/tcp/127.0.0.1/${port}`,
      ...(options.send !== undefined ? [`printf ${options.send} >&3`] : []),
      ...(options.expectLine !== undefined ? [`grep -q '${options.expectLine}' <&3`] : []),
    ];
    return new HealthCheck(['bash', '-c', steps.join(' && ')], options);
  }

  public readonly intervalSeconds: number;
  public readonly timeoutSeconds: number;
  public readonly startPeriodSeconds: number;
  public readonly retries: number;

  private constructor(
    private readonly command: readonly string[],
    private readonly options: HealthCheckOptions,
    private readonly alone?: HealthCheck,
  ) {
    this.intervalSeconds = validateIntegerRange('intervalSeconds', options.intervalSeconds ?? 10, 1, 3600);
    this.timeoutSeconds = validateIntegerRange('timeoutSeconds', options.timeoutSeconds ?? 10, 1, 3600);
    this.startPeriodSeconds = validateIntegerRange('startPeriodSeconds', options.startPeriodSeconds ?? 30, 0, 3600);
    this.retries = validateIntegerRange('retries', options.retries ?? 6, 1, 100);
  }

  /**
   * This check, with `check` as what the service passes on its own, before the services it needs have reached it back
   * by name (a KRaft voter: its controller listener is up; a Spark worker or driver: its UI, before the master has
   * answered it), for a target where being healthy is how a service gets found. A swarm adds a task to its network's
   * DNS only once the task is healthy: were every voter's check the quorum's, no voter would ever resolve another's
   * name, and the quorum would never form; the master's answer to a worker that registers goes to the worker's name.
   */
  public withStandalone(check: HealthCheck): HealthCheck {
    if (check.alone !== undefined) throw new PropError('standalone', 'must be a check of its own, not one that has a standalone check itself');
    return new HealthCheck(this.command, this.options, check);
  }

  /** What the service passes without its peers: the check given to `withStandalone`, else this one. */
  public get standalone(): HealthCheck {
    return this.alone ?? this;
  }

  /** The `healthcheck` block of a docker_container. */
  public render(): ContainerHealthcheck {
    return {
      test: ['CMD', ...this.command],
      interval: goDuration(this.intervalSeconds),
      timeout: goDuration(this.timeoutSeconds),
      startPeriod: goDuration(this.startPeriodSeconds),
      retries: this.retries,
    };
  }
}

/**
 * Seconds written as Go prints a duration (`45s`, `1m0s`, `1h2m3s`): the docker provider reads a container's health
 * check back in that form, so `60s` would show as a change on every plan.
 */
export function goDuration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}h${minutes}m${rest}s`;
  if (minutes > 0) return `${minutes}m${rest}s`;
  return `${rest}s`;
}
