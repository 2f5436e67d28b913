import * as path from 'path';
import { Construct } from 'constructs';
import type { RolesPlan } from '../jobs/lib/cassandra-roles';
import { CASSANDRA_ROLES, type CassandraClient } from './cassandra';
import { CassandraRing } from './cassandra-ring';
import { ImageSource } from './image-source';
import { NodeJob } from './node-job';
import { PlatformNetwork } from './platform-network';
import { StateVolume } from './state-volume';
import { validateIntegerRange } from './validation';

export interface CassandraRolesProps {
  readonly network: PlatformNetwork;
  /** Name of the one-shot container. */
  readonly name: string;
  /** The ring whose roles it applies; it names the superuser's volume and says whether it is kept. */
  readonly cassandra: CassandraRing;
  /** The pipeline's keyspace: created when missing, and what the roles' permissions are on. */
  readonly keyspace: string;
  /**
   * Copies of every row of the keyspace when it is created, and of system_auth (every login) always, in the ring's
   * datacenter.
   * @default - the ring's default: one per node, 3 at most
   */
  readonly replication?: number;
  /**
   * Where the pinned Node.js image is pulled from.
   * @default ImageSource.publicRegistry()
   */
  readonly imageSource?: ImageSource;
}

/** The platform's superuser of Cassandra, for the cassandra-roles job alone. */
export const CASSANDRA_SUPERUSER = 'platform';
const SUPERUSER_DIRECTORY = '/var/lib/kafka-pipelining/cassandra-superuser';
const ROLES_FILE = '/run/kafka-pipelining/cassandra-roles.json';

/**
 * The roles of the platform's Cassandra, applied at every deploy by a one-shot job (jobs/cassandra-roles.ts) once
 * every node of the ring serves and before any client starts: a superuser of the platform's own in place of
 * Cassandra's default `cassandra` (dropped), a role per client with this deploy's password and exactly its
 * permissions on the pipeline's keyspace, system_auth replicated like the keyspace.
 *
 * The superuser's password is not generated into the plan like the others but by the job, once, onto the ring's
 * superuser volume, kept exactly when the nodes' data is (`retainVolumes`): a kept data directory holds its roles
 * with the passwords of the deploy that made them, and only a superuser's login can give them this deploy's, so a
 * new deploy must know the old superuser's. Nobody else mounts the volume, and the password is in no plan, state,
 * environment or log.
 */
export class CassandraRoles extends Construct {
  public readonly job: NodeJob;
  public readonly superuserVolume: StateVolume;

  constructor(scope: Construct, id: string, props: CassandraRolesProps) {
    super(scope, id);
    const replication = validateIntegerRange('replication', props.replication ?? props.cassandra.defaultReplication, 1, props.cassandra.nodes.length);
    // Here, not in the ring, so that its Terraform address is the one stacks from before the ring have: a new address
    // would destroy the credential of a data volume that is kept.
    const ring = props.cassandra;
    this.superuserVolume = new StateVolume(this, 'Superuser', { name: ring.superuserVolumeName, retain: ring.retainVolumes, holdsSecret: true });
    const plan: RolesPlan = {
      contactPoints: ring.nodes.map((node) => node.contactPoint),
      datacenter: props.cassandra.datacenter,
      superuser: CASSANDRA_SUPERUSER,
      keyspace: props.keyspace,
      replication,
      roles: (Object.keys(CASSANDRA_ROLES) as CassandraClient[]).map((client) => {
        const { username, password } = props.cassandra.credential(client);
        return { name: username, password, permissions: CASSANDRA_ROLES[client].permissions };
      }),
    };
    this.job = new NodeJob(this, 'Job', {
      network: props.network,
      name: props.name,
      entryPoint: path.join(__dirname, '..', 'jobs', 'cassandra-roles.ts'),
      environment: { KP_CASSANDRA_ROLES_FILE: ROLES_FILE, KP_CASSANDRA_SUPERUSER_FILE: `${SUPERUSER_DIRECTORY}/credential.json` },
      // The passwords in a file, not the environment, so that `docker inspect` does not show them.
      files: [{ file: ROLES_FILE, content: JSON.stringify(plan, null, 2), permissions: '0600' }],
      // Root: a new volume's directory is root's, and the credential file in it is made readable by root alone.
      user: '0',
      volumes: [{ volumeName: this.superuserVolume.volumeName, containerPath: SUPERUSER_DIRECTORY }],
      imageSource: props.imageSource,
    });
  }
}
