// Apache Kafka's jars from Maven Central, pinned in test/kafka-compat/java/pom.xml and resolved
// into .tools/kafka/libs: the client, the command-line tools and the broker itself. Shared by
// `npm run test:kafka-compat` and `npm run bench:vs-kafka`, so both use the same Kafka.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

/** The pom that pins the Kafka version. */
export const KAFKA_POM = join(root, 'test/kafka-compat/java/pom.xml');

/** Where the resolved jars live (git-ignored): `java -cp '<KAFKA_LIBS>/*'`. */
export const KAFKA_LIBS = join(root, '.tools/kafka/libs');

/** The Kafka version the pom pins, e.g. `4.1.1`. */
export function kafkaVersion() {
  return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(KAFKA_POM, 'utf8'))?.[1] ?? 'unknown';
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * Resolves the pinned Kafka artifacts into KAFKA_LIBS unless the same pom already did (a copy
 * of the pom beside the jars is the stamp). Returns KAFKA_LIBS, or throws an Error whose
 * message says what to run.
 */
export function ensureKafkaJars() {
  const stamp = join(root, '.tools/kafka/pom.xml');
  const pinned = readFileSync(KAFKA_POM, 'utf8');
  const resolved =
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === pinned &&
    existsSync(KAFKA_LIBS) &&
    readdirSync(KAFKA_LIBS).length > 0;
  if (resolved) return KAFKA_LIBS;
  if (!has('mvn') || !has('java'))
    throw new Error(
      'Maven and a JDK (17+) are needed: run `apt-get install -y maven openjdk-17-jdk-headless`',
    );
  rmSync(KAFKA_LIBS, { recursive: true, force: true });
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-f', KAFKA_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${KAFKA_LIBS}`],
    { stdio: 'inherit', cwd: root },
  );
  if (mvn.status !== 0) throw new Error('resolving the Kafka artifacts with Maven failed');
  writeFileSync(stamp, pinned);
  return KAFKA_LIBS;
}
