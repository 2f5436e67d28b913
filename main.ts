import { App } from 'cdktf';
import { ImageSource, PlatformStack } from './constructs';

// Deploy-time choices come from the environment, so `cdktf deploy` needs no code edit:
//   DOCKER_HOST                 the engine to deploy to (default: the local socket)
//   KP_IMAGE_MIRROR             a registry mirror prefix serving the pinned images
//   KP_CONTROL_CENTER=false     leave out Confluent Control Center (licensed)
//   KP_SPARK_WORKERS            number of Spark workers (default 1)
//   KP_PIPELINE_SOURCE_URL      the randomuser.me-compatible API (default: the real one)
const env = process.env;
const app = new App();
new PlatformStack(app, 'kafka-pipelining', {
  dockerHost: env.DOCKER_HOST,
  imageSource: env.KP_IMAGE_MIRROR ? ImageSource.mirror(env.KP_IMAGE_MIRROR) : ImageSource.publicRegistry(),
  controlCenter: env.KP_CONTROL_CENTER !== 'false',
  sparkWorkers: env.KP_SPARK_WORKERS ? Number(env.KP_SPARK_WORKERS) : undefined,
  pipeline: { sourceUrl: env.KP_PIPELINE_SOURCE_URL },
});
app.synth();
