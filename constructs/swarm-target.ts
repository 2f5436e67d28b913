import { Config } from '@cdktf/provider-docker/lib/config';
import { ContainerHealthcheck, ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { Secret } from '@cdktf/provider-docker/lib/secret';
import { Service, ServiceTaskSpec, ServiceTaskSpecContainerSpecConfigs, ServiceTaskSpecContainerSpecSecrets } from '@cdktf/provider-docker/lib/service';
import { Id } from '@cdktf/provider-random/lib/id';
import { Fn, Lazy, TerraformStack, Token, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import type { IDeploymentTarget, RenderedService } from './deployment-target';
import { goDuration } from './health-check';
import type { ImageRegistry } from './image-registry';
import type { ContainerBaseProps, ServiceSpec } from './service-container';
import { PropError } from './validation';

export interface SwarmTargetProps {
  /**
   * The hosts that hold state, by the value of their node label `nodeLabel`, in order (scripts/swarm-hosts.sh labels
   * host I `host-I`). A stateful service (one that writes to a named volume: the volume is local to one node) is
   * pinned to one of them, member i of a group (`spreadOrdinal`: broker i, Cassandra node i) to `hosts[i mod length]`,
   * so three brokers and three Cassandra nodes on three hosts put one of each on every host.
   */
  readonly hosts: string[];
  /**
   * The address each of `hosts` is reached at from outside the swarm, in the same order: where a client dials a port a
   * service publishes there (the stack's outputs, a broker's advertised listener).
   * @default - 'localhost': clients run on the host that publishes
   */
  readonly addresses?: string[];
  /**
   * The node label that names a host (`docker node update --label-add kp.host=host-1 NODE`).
   * @default 'kp.host'
   */
  readonly nodeLabel?: string;
  /**
   * The registry every node pulls the platform's images from, by digest (scripts/swarm-hosts.sh runs one on the
   * manager and pushes the host-built images into it).
   * @default - none: every node must already hold every image under the id the manager knows it by (e.g. loaded with `docker load`)
   */
  readonly registry?: ImageRegistry;
  /**
   * Reach services through the swarm's routing mesh: a virtual IP per service, and every port published on every node.
   * Both need the IPVS kernel module (`ip_vs`) on every host, which some kernels lack (this project's test machines
   * do). Without it, a service's name resolves to its tasks' own addresses (`dnsrr`) and a port is published on the
   * node its task runs on, which for a pinned service is always the same host.
   * @default false
   */
  readonly routingMesh?: boolean;
}

/**
 * Names of environment variables that hold a secret: a password, a secret or key, a connection string or DSN, and
 * the PostgreSQL exporter's DSN and password (DATA_SOURCE_NAME, DATA_SOURCE_PASS).
 */
const SECRET_VARIABLE = /(PASSWORD|SECRET|SECRET_KEY|FERNET_KEY|_CONN|_DSN|DATA_SOURCE_NAME|DATA_SOURCE_PASS)$/;

/** Whether an environment variable's name says it holds a secret (a swarm target never puts one in a service's environment). */
export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLE.test(name);
}

/**
 * A file holds a secret when only its owner may read it (the convention of every construct that writes one) or when its
 * content is known only at deploy time: generated passwords are, and a secret costs no more than a config.
 */
function holdsSecret(upload: ContainerUpload): boolean {
  return upload.permissions === '0600' || upload.permissions === '0400' || (upload.content !== undefined && Token.isUnresolved(upload.content));
}

/** Base64 of a text that may hold deploy-time values (passwords, addresses): the encoding is Terraform's, at deploy. */
function base64OfText(text: string): string {
  if (!Token.isUnresolved(text)) return Buffer.from(text, 'utf8').toString('base64');
  // The literal pieces and the values' references apart, so Terraform joins them (a literal is a quoted string there).
  const pieces: unknown = Tokenization.reverseString(text).join({ join: (left: unknown, right: unknown) => [left, right].flat() });
  const parts = [pieces].flat().map((piece) => {
    const text = Token.asString(piece);
    return Token.isUnresolved(text) ? text : terraformStringBody(text);
  });
  return Fn.base64encode(Fn.join('', parts));
}

/** A literal as the body of a Terraform quoted string: quotes, backslashes, line breaks and template sequences escaped. */
function terraformStringBody(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, '$$${')
    .replace(/%\{/g, '%%{');
}

/**
 * A Docker Swarm, deployed through its manager: every service a `docker_service` on one overlay network, every file a
 * `docker_config` (or a `docker_secret` when it holds one), every secret environment variable a `docker_secret` file,
 * stateful services pinned to labelled nodes, rolling updates that wait for health and roll back, memory reserved as
 * limited. Named volumes are made by the node a task runs on.
 */
export class SwarmTarget implements IDeploymentTarget {
  public readonly kind = 'swarm';
  public readonly managesVolumes = false;
  /** A config's limit (a secret's is 500 KiB): Docker refuses 1,024,000 bytes or more. */
  public readonly maxFileBytes = MAX_CONFIG_BYTES;
  public readonly hosts: readonly string[];
  public readonly nodeLabel: string;
  public readonly routingMesh: boolean;
  public readonly registry?: ImageRegistry;
  public readonly addresses?: readonly string[];
  private readonly salts = new WeakMap<TerraformStack, string>();
  /** Per stack: each named volume and the hosts of the services that write it, as rendered so far. */
  private readonly writers = new WeakMap<TerraformStack, Map<string, Set<string>>>();

  constructor(props: SwarmTargetProps) {
    if (props.hosts.length < 1 || props.hosts.length > 64) throw new PropError('hosts', `must name 1 to 64 hosts, got ${props.hosts.length}`);
    for (const host of props.hosts) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host)) throw new PropError('hosts', `must be node label values (letters, digits, '.', '_', '-'), got '${host}'`);
    }
    const duplicate = props.hosts.find((host, i) => props.hosts.indexOf(host) !== i);
    if (duplicate !== undefined) throw new PropError('hosts', `must name each host once, got '${duplicate}' twice`);
    const nodeLabel = props.nodeLabel ?? 'kp.host';
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(nodeLabel)) throw new PropError('nodeLabel', `must be a label key (lower-case letters, digits, '.', '_', '-'), got '${nodeLabel}'`);
    if (props.addresses !== undefined) {
      if (props.addresses.length !== props.hosts.length) throw new PropError('addresses', `must give one address per host (${props.hosts.length}), got ${props.addresses.length}`);
      for (const address of props.addresses) {
        if (!/^[A-Za-z0-9][A-Za-z0-9.:-]*$/.test(address)) throw new PropError('addresses', `must be host names or IP addresses, got '${address}'`);
      }
    }
    this.addresses = props.addresses === undefined ? undefined : [...props.addresses];
    this.hosts = [...props.hosts];
    this.nodeLabel = nodeLabel;
    this.routingMesh = props.routingMesh ?? false;
    this.registry = props.registry;
  }

  public networkDriver(): 'overlay' {
    return 'overlay';
  }

  /**
   * The host a service that publishes ports is placed on (without the routing mesh, a port is on its task's node, so
   * the service is pinned there); through the routing mesh, any node's address reaches it: the first's.
   */
  public publishedAddress(spreadOrdinal: number): string | undefined {
    if (this.addresses === undefined) return undefined;
    return this.routingMesh ? this.addresses[0] : this.addresses[this.hostIndex(spreadOrdinal)];
  }

  private hostIndex(spreadOrdinal: number): number {
    return spreadOrdinal % this.hosts.length;
  }

  /**
   * Converged (every replica running, which a health-checked task is once healthy) before the deploy goes on; an
   * update starts the new task before stopping the old one, except where both would share a volume.
   */
  public renderService(scope: Construct, spec: ServiceSpec): RenderedService {
    const stateful = writesVolume(spec);
    const order = stateful ? 'stop-first' : 'start-first';
    const service = new Service(scope, 'Service', {
      name: spec.name,
      taskSpec: this.taskSpec(scope, spec, {
        // What the service passes alone, as a task is found by name only once healthy; durations as the provider reads them back.
        healthcheck: asServiceReadsBack(spec.healthCheck.standalone.render()),
        stopGracePeriod: serviceDuration(goDuration(spec.stopGraceSeconds)),
        restartCondition: spec.restart === 'no' ? 'none' : spec.restart === 'on-failure' ? 'on-failure' : 'any',
        placement: this.placement(scope, spec, spec.ports.length > 0),
      }),
      mode: { replicated: { replicas: 1 } },
      updateConfig: { parallelism: 1, delay: '5s', failureAction: 'rollback', monitor: '30s', order },
      rollbackConfig: { parallelism: 1, delay: '5s', failureAction: 'pause', monitor: '30s', order },
      endpointSpec: {
        mode: this.routingMesh ? 'vip' : 'dnsrr',
        ports: spec.ports.map((p) => ({ targetPort: p.containerPort, publishedPort: p.hostPort, protocol: 'tcp', publishMode: this.routingMesh ? 'ingress' : 'host' })),
      },
      // Twice a container's wait: a swarm starts every service at once, and a task restarts until what it needs answers,
      // where one host starts them in order (the dag-processor took over 5 minutes on three hosts made of two cores).
      convergeConfig: { delay: '5s', timeout: `${2 * spec.waitTimeoutSeconds}s` },
      dependsOn: spec.dependsOn,
      lifecycle: SERVICE_LIFECYCLE,
    });
    attachToNetwork(service, spec);
    return { name: service.name, resource: service };
  }

  /**
   * A service whose one task is restarted only when it fails: a swarm has no wait for a task to finish, so the deploy
   * goes on at once, and what needs the job's work retries until it is there.
   */
  public renderJob(scope: Construct, props: ContainerBaseProps): RenderedService {
    const service = new Service(scope, 'Service', {
      name: props.name,
      taskSpec: this.taskSpec(scope, props, { restartCondition: 'on-failure', placement: this.placement(scope, props, false) }),
      mode: { replicated: { replicas: 1 } },
      endpointSpec: { mode: this.routingMesh ? 'vip' : 'dnsrr' },
      dependsOn: props.dependsOn,
      lifecycle: SERVICE_LIFECYCLE,
    });
    attachToNetwork(service, props);
    return { name: service.name, resource: service };
  }

  private taskSpec(
    scope: Construct,
    props: ContainerBaseProps,
    options: {
      readonly healthcheck?: NonNullable<ServiceTaskSpec['containerSpec']['healthcheck']>;
      readonly stopGracePeriod?: string;
      readonly restartCondition: 'none' | 'on-failure' | 'any';
      readonly placement: NonNullable<ServiceTaskSpec['placement']>;
    },
  ): ServiceTaskSpec {
    const environment: Record<string, string> = {};
    const secrets: ServiceTaskSpecContainerSpecSecrets[] = [];
    const configs: ServiceTaskSpecContainerSpecConfigs[] = [];
    const variables = Object.entries(props.environment ?? {}).sort(([a], [b]) => a.localeCompare(b));
    for (const [name, value] of variables) {
      if (!isSecretVariable(name)) {
        environment[name] = value;
        continue;
      }
      const file = `/run/secrets/${name}`;
      const secret = this.secret(scope, `Env${name}`, `${props.name}-env${secrets.length}`, base64OfText(value));
      secrets.push({ secretId: secret.id, secretName: secret.name, fileName: file, fileUid: '0', fileGid: '0', fileMode: 0o444 });
      // Airflow reads a setting from a command's output (`_CMD`); the platform's own code and images read `_FILE`.
      if (name.startsWith('AIRFLOW__')) environment[`${name}_CMD`] = `cat ${file}`;
      else environment[`${name}_FILE`] = file;
    }
    for (const [index, upload] of (props.files ?? []).entries()) {
      if (upload.content === undefined && upload.contentBase64 === undefined && upload.source === undefined) {
        throw new PropError('files', `${props.name}: ${upload.file} has no content, contentBase64 or source`);
      }
      const data = upload.contentBase64 ?? (upload.content !== undefined ? base64OfText(upload.content) : Fn.filebase64(upload.source ?? ''));
      const name = `${props.name}-f${index}`;
      const isSecret = holdsSecret(upload);
      const limit = isSecret ? MAX_SECRET_BYTES : MAX_CONFIG_BYTES;
      const size = knownSize(upload);
      if (size !== undefined && size > limit) {
        throw new PropError('files', `${props.name}: ${upload.file} is ${size} bytes; a swarm ${isSecret ? 'secret' : 'config'} holds at most ${limit}`);
      }
      if (isSecret) {
        const secret = this.secret(scope, `File${index}`, name, data);
        // The mode the file would have on one Docker host: secret or not, a service's user must read it the same way.
        secrets.push({ secretId: secret.id, secretName: secret.name, fileName: upload.file, fileUid: '0', fileGid: '0', fileMode: uploadMode(upload) });
      } else {
        const config = new Config(scope, `File${index}Config`, { name: this.versionedName(scope, name, data), data, lifecycle: { createBeforeDestroy: true } });
        configs.push({ configId: config.id, configName: config.name, fileName: upload.file, fileUid: '0', fileGid: '0', fileMode: uploadMode(upload) });
      }
    }
    const memoryBytes = props.memoryMiB * 1024 * 1024;
    return {
      containerSpec: {
        image: props.image,
        // `command` replaces the image's CMD, which a service calls its arguments (its command is the entrypoint).
        args: props.command,
        env: environment,
        user: props.user,
        hostname: props.name,
        mounts: props.volumes?.map((v) => ({ type: 'volume', source: v.volumeName, target: v.containerPath, readOnly: v.readOnly ?? false })),
        healthcheck: options.healthcheck,
        stopGracePeriod: options.stopGracePeriod,
        secrets: secrets.length > 0 ? secrets : undefined,
        configs: configs.length > 0 ? configs : undefined,
      },
      // Reserved as limited: a node never takes more JVMs than it can hold.
      resources: { limits: { memoryBytes }, reservation: { memoryBytes } },
      restartPolicy: { condition: options.restartCondition, delay: '5s', window: '0s' },
      placement: options.placement,
      logDriver: { name: 'json-file', options: { 'max-size': '20m', 'max-file': '3' } },
    };
  }

  /**
   * A service that writes a named volume, or publishes a port without the routing mesh (its address is its node's), on its
   * host (`spreadOrdinal`); one that only reads volumes beside the services
   * that write them, when they are all on one host (the volume is that host's); the others spread over the hosts (a
   * reader of volumes written on several hosts sees its own node's). Known once every service is rendered: resolved at
   * synth. A stateful service that reads a volume written only on other hosts would find it empty, and is refused.
   */
  private placement(scope: Construct, props: ContainerBaseProps, publishes: boolean): NonNullable<ServiceTaskSpec['placement']> {
    const writers = this.writersOf(scope);
    const volumes = props.volumes ?? [];
    const written = volumes.filter((v) => !(v.readOnly ?? false)).map((v) => v.volumeName);
    const read = volumes.filter((v) => v.readOnly ?? false).map((v) => v.volumeName);
    // Without the routing mesh a published port is on its task's node: pinned, it stays where its address says.
    const own = written.length > 0 || (publishes && !this.routingMesh) ? this.hosts[this.hostIndex(props.spreadOrdinal ?? 0)] : undefined;
    for (const volume of written) writers.set(volume, (writers.get(volume) ?? new Set()).add(own!));
    // Decided once, when first resolved; the provider's nested blocks take lazy values only in their lists.
    let decided: { readonly constraints: string[]; readonly prefs: string[] } | undefined;
    const decide = () => {
      decided ??= this.decidePlacement(props.name, own, read, writers);
      return decided;
    };
    return {
      constraints: Lazy.listValue({ produce: () => decide().constraints }, { omitEmpty: true }),
      prefs: Lazy.listValue({ produce: () => decide().prefs }, { omitEmpty: true }),
    };
  }

  private decidePlacement(name: string, own: string | undefined, read: readonly string[], writers: Map<string, Set<string>>) {
    const pinned = (host: string) => ({ constraints: [`node.labels.${this.nodeLabel} == ${host}`], prefs: [] });
    if (own !== undefined) {
      for (const volume of read) {
        const hosts = writers.get(volume);
        if (hosts !== undefined && !hosts.has(own)) {
          throw new Error(`${name} runs on ${own} and reads the volume ${volume}, which only ${[...hosts].join(', ')} write(s): on a swarm a volume is its node's; write it on ${own} too`);
        }
      }
      return pinned(own);
    }
    const hosts = new Set(read.flatMap((volume) => [...(writers.get(volume) ?? [])]));
    return hosts.size === 1 ? pinned([...hosts][0]) : { constraints: [], prefs: [`spread=node.labels.${this.nodeLabel}`] };
  }

  private writersOf(scope: Construct): Map<string, Set<string>> {
    return ofStack(this.writers, scope, () => new Map<string, Set<string>>());
  }

  private secret(scope: Construct, id: string, name: string, data: string): Secret {
    return new Secret(scope, id, { name: this.versionedName(scope, name, data), data, lifecycle: { createBeforeDestroy: true } });
  }

  /**
   * Configs and secrets cannot change: a new content is a new object, named after a salted hash of it, made before
   * the old one goes (a service still uses the old one until it is updated). The salt, kept in state, keeps a
   * password's hash out of the name.
   */
  private versionedName(scope: Construct, name: string, data: string): string {
    return `${name}-${Fn.substr(Fn.sha256(Fn.join('', [this.salt(scope), data])), 0, 10)}`;
  }

  private salt(scope: Construct): string {
    return ofStack(this.salts, scope, (stack) => new Id(stack, 'SwarmObjectNameSalt', { byteLength: 16 }).hex);
  }
}

/** Docker's limits on a config's and a secret's data: less than 1,000 KiB and 500 KiB. */
const MAX_CONFIG_BYTES = 1_024_000 - 1;
const MAX_SECRET_BYTES = 512_000 - 1;

/** The bytes of a file given inline, where known at synth (a deploy-time value's length is not; ShippedFiles checks its sources). */
function knownSize(upload: ContainerUpload): number | undefined {
  if (upload.contentBase64 !== undefined) return Token.isUnresolved(upload.contentBase64) ? undefined : Buffer.from(upload.contentBase64, 'base64').length;
  return upload.content === undefined || Token.isUnresolved(upload.content) ? undefined : Buffer.byteLength(upload.content, 'utf8');
}

/** A file's mode as an upload to a container gets it (the provider's rule): its permissions, else 0744 or 0644 as it is executable or not. */
function uploadMode(upload: ContainerUpload): number {
  return parseInt(upload.permissions ?? (upload.executable === true ? '0744' : '0644'), 8);
}

/** What `map` holds for the stack of `scope`, made on first use: a target may serve several stacks. */
function ofStack<T>(map: WeakMap<TerraformStack, T>, scope: Construct, make: (stack: TerraformStack) => T): T {
  const stack = TerraformStack.of(scope);
  if (!map.has(stack)) map.set(stack, make(stack));
  return map.get(stack)!;
}

/** It writes to a named volume, which lives on one node. */
function writesVolume(props: ContainerBaseProps): boolean {
  return (props.volumes ?? []).some((v) => !(v.readOnly ?? false));
}

/**
 * The service on the platform's network, under its name. By the network's id, which the provider's bindings here do not
 * type: the provider reads a service's network back as its id, so a network given by name would replace every service
 * on each deploy.
 */
function attachToNetwork(service: Service, props: ContainerBaseProps): void {
  service.addOverride('task_spec.networks_advanced', [{ id: props.network.resource.id, aliases: [props.name] }]);
}

/** The swarm fills in the platforms of a service's image; not the plan's to change, or every deploy would update every service. */
const SERVICE_LIFECYCLE = { ignoreChanges: ['task_spec[0].placement[0].platforms'] };

/** A duration as the provider reads a service's back (`1m`, not `1m0s`), so an unchanged one shows no change. */
function serviceDuration(duration: string): string {
  return duration.replace(/m0s$/, 'm').replace(/h0m$/, 'h');
}

function asServiceReadsBack(check: ContainerHealthcheck): ContainerHealthcheck {
  return {
    ...check,
    interval: check.interval && serviceDuration(check.interval),
    timeout: check.timeout && serviceDuration(check.timeout),
    startPeriod: check.startPeriod && serviceDuration(check.startPeriod),
  };
}
