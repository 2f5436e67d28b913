import * as path from 'path';
import { FileToShip, ShippedFiles } from './shipped-files';

const JOBS_DIRECTORY = path.join(__dirname, '..', 'jobs');
const JOBS_IN_CONTAINER = '/opt/kafka-pipelining/jobs';

/** The folder to put on PYTHONPATH for `import pipeline_contract`. */
export const PIPELINE_CONTRACT_PYTHONPATH = `${JOBS_IN_CONTAINER}/contract`;

/**
 * The Python jobs' contract (jobs/contract: the `pipeline_contract` package and the variables' declaration)
 * and the Avro schema it reads its fields from. They keep the repository's layout inside the container,
 * because the package finds both files relative to itself.
 */
export function pipelineContractFiles(): FileToShip[] {
  return [
    ...ShippedFiles.fromDirectory(path.join(JOBS_DIRECTORY, 'contract'), PIPELINE_CONTRACT_PYTHONPATH),
    { source: path.join(JOBS_DIRECTORY, 'schemas', 'user.avsc'), target: `${JOBS_IN_CONTAINER}/schemas/user.avsc` },
  ];
}
