/**
 * Runs Kafka's real tools for the kafka-compat suite: Java programs and Kafka's command-line
 * tools from the Maven artifacts in .tools/kafka/libs (resolved by `npm run test:kafka-compat`),
 * and kcat from Debian. Output is collected line by line so tests can wait on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const LIBS = join(ROOT, '.tools/kafka/libs');
const JAVA_SOURCES = join(__dirname, 'java');

/** A running tool: its output lines so far, and how it ended. */
export interface RunningTool {
  readonly lines: string[];
  readonly stderr: string[];
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  /** SIGTERM (a Java consumer leaves its group cleanly on it). */
  stop(): Promise<number | null>;
}

function start(command: string, args: readonly string[], input?: string): RunningTool {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stderr: string[] = [];
  const collect = (stream: NodeJS.ReadableStream, into: string[]) => {
    let tail = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (tail + chunk.toString()).split('\n');
      tail = parts.pop() ?? '';
      into.push(...parts);
    });
    stream.on('end', () => {
      if (tail !== '') into.push(tail);
    });
  };
  collect(child.stdout!, lines);
  collect(child.stderr!, stderr);
  if (input !== undefined) child.stdin!.end(input);
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return {
    lines,
    stderr,
    process: child,
    exited,
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a tool to completion; rejects with its stderr when it exits non-zero. */
export async function runToEnd(tool: RunningTool): Promise<string[]> {
  const code = await tool.exited;
  if (code !== 0) throw new Error(`exit ${code}: ${tool.stderr.slice(-20).join('\n')}`);
  return tool.lines;
}

function javaArgs(): string[] {
  if (!existsSync(LIBS)) throw new Error('Kafka artifacts missing: run `npm run test:kafka-compat` once');
  return ['-Xmx256m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', `${LIBS}/*`];
}

/** One of Kafka's command-line tools by main class, e.g. org.apache.kafka.tools.TopicCommand. */
export function kafkaTool(mainClass: string, args: readonly string[], input?: string): RunningTool {
  return start('java', [...javaArgs(), mainClass, ...args], input);
}

/** A Java program of test/kafka-compat/java, run from source against the Kafka client. */
export function javaProgram(name: string, args: readonly string[]): RunningTool {
  return start('java', [...javaArgs(), join(JAVA_SOURCES, `${name}.java`), ...args]);
}

/** kcat (Debian). */
export function kcat(args: readonly string[], input?: string): RunningTool {
  return start('kcat', args, input);
}
