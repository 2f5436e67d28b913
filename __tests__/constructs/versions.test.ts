import * as fs from 'fs';
import * as path from 'path';
import { IMAGES, SCALA_BINARY_VERSION, SPARK_CONNECTOR_JARS, SPARK_VERSION, TERRAFORM_PROVIDERS, mavenJarPath } from '../../constructs';
import { synthPlatform } from '../helpers/synth';

describe('versions.ts is the one place for versions', () => {
  test('every image tag is exact: no latest, no bare major (PostgreSQL versions are major.minor; Prometheus tags start with v)', () => {
    for (const image of Object.values(IMAGES)) expect(image.tag).toMatch(/^v?\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$/);
  });

  test("every Spark connector is built for Spark's Scala version (the tutorial's NoClassDefFoundError)", () => {
    expect(IMAGES.spark.tag).toContain(`scala${SCALA_BINARY_VERSION}`);
    for (const jar of SPARK_CONNECTOR_JARS.filter((j) => /_2\.1\d$/.test(j.artifact))) {
      expect(jar.artifact.endsWith(`_${SCALA_BINARY_VERSION}`)).toBe(true);
    }
    for (const jar of SPARK_CONNECTOR_JARS.filter((j) => j.group === 'org.apache.spark')) expect(jar.version).toBe(SPARK_VERSION);
    expect(mavenJarPath(SPARK_CONNECTOR_JARS[0])).toBe(
      `org/apache/spark/spark-sql-kafka-0-10_2.12/${SPARK_VERSION}/spark-sql-kafka-0-10_2.12-${SPARK_VERSION}.jar`,
    );
  });

  test('the plan requires exactly the provider versions that scripts/install-terraform.sh builds', () => {
    // The script reads its pins from versions.ts (scripts/versions.sh), so both see the same values.
    const script = fs.readFileSync(path.join(__dirname, '..', '..', 'scripts', 'install-terraform.sh'), 'utf8');
    expect(script).toContain('v.TERRAFORM_PROVIDERS.docker');
    expect(script).toContain('v.TERRAFORM_PROVIDERS.random');
    const required = (synthPlatform().json.terraform as { required_providers: Record<string, unknown> }).required_providers;
    expect(required.docker).toEqual({ source: 'kreuzwerker/docker', version: TERRAFORM_PROVIDERS.docker });
    expect(required.random).toEqual({ source: 'hashicorp/random', version: TERRAFORM_PROVIDERS.random });
  });
});
