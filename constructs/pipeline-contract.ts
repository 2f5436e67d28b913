import * as path from 'path';
import { FileToShip, ShippedFiles } from './shipped-files';

const JOBS_DIRECTORY = path.join(__dirname, '..', 'jobs');

/** The folder to put on PYTHONPATH for `import pipeline_contract`. */
export const PIPELINE_CONTRACT_PYTHONPATH = '/opt/kafka-pipelining/jobs/contract';

/**
 * The Python jobs' contract (jobs/contract: the `pipeline_contract` package and the variables' declaration), in
 * the repository's layout, because the package finds the declaration relative to itself. The Avro schema is not
 * among them: the jobs read it from the registry, so that a schema change replaces only the bootstrap job, which
 * checks it before anything else changes.
 */
export function pipelineContractFiles(): FileToShip[] {
  return ShippedFiles.fromDirectory(path.join(JOBS_DIRECTORY, 'contract'), PIPELINE_CONTRACT_PYTHONPATH);
}
