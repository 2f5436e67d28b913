/**
 * The platform's operating commands (scripts/platform.sh runs this):
 *
 *   up                     deploy the platform on this host (npm run up)
 *   down                   destroy it, and stop the engine `up` started (npm run down)
 *   status [--json] ...    every service and the pipeline; exit 1 if unhealthy or lagging (npm run status)
 *   with COMMAND [ARGS...] run a command with the platform's environment prepared (scripts/with-platform.sh)
 */
import { runMain } from '../jobs/lib/run';
import { down } from './down';
import { status } from './status';
import { up } from './up';
import { withPlatform } from './with-platform';

const USAGE = 'usage: platform up | down | status [--json] [--max-lag RECORDS] [--max-outbox-age SECONDS] | with COMMAND [ARGS...]';

export function main(args: readonly string[] = process.argv.slice(2)): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'up':
      return up();
    case 'down':
      return down();
    case 'status':
      return status(rest);
    case 'with':
      // `with -- COMMAND ...`: the separator keeps the command's own options from looking like ours.
      return withPlatform(rest[0] === '--' ? rest.slice(1) : rest);
    default:
      console.error(USAGE);
      return Promise.resolve(2);
  }
}

if (require.main === module) runMain('platform', main);
