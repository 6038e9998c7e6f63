/**
 * `tributary`: the command line. `main(argv)` returns the exit status: 0 on success, 1 on an
 * error (one line on stderr: what failed and what to do), 2 on bad usage.
 */
import { describeError } from '../errors';
import { Tributary } from '../tributary';
import {
  clusterDescribe,
  groupsDelete,
  groupsDescribe,
  groupsList,
  groupsResetOffsets,
  topicsAlter,
  topicsCreate,
  topicsDelete,
  topicsDescribe,
  topicsList,
} from './admin-commands';
import { type Command, HelpRequested, parseCommand, UsageError } from './args';
import { consume } from './consume-command';
import { HELP } from './help';
import { type Output, stdio } from './output';
import { perfConsume, perfProduce } from './perf-command';
import { produce } from './produce-command';

export interface MainIO extends Output {
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
}

/** How long a command without --timeout-ms keeps retrying retriable errors. */
const CLI_RETRY_TIMEOUT_MS = 15_000;

async function run(c: Command, io: MainIO): Promise<void> {
  if (c.kind === 'help' || c.kind === 'version') return;
  const t = new Tributary({
    bootstrap: c.bootstrap,
    clientId: 'tributary-cli',
    // Ride through a leader failover or a dead bootstrap broker for as long as the command
    // waits anyway (its --timeout-ms), else 15 s: then fail with one line.
    retry: { timeoutMs: 'timeoutMs' in c && c.timeoutMs !== undefined ? c.timeoutMs : CLI_RETRY_TIMEOUT_MS },
    requestTimeoutMs: 15_000,
  });
  try {
    switch (c.kind) {
      case 'topics-create':
        return await topicsCreate(t, c, io);
      case 'topics-list':
        return await topicsList(t, c, io);
      case 'topics-describe':
        return await topicsDescribe(t, c, io);
      case 'topics-delete':
        return await topicsDelete(t, c, io);
      case 'topics-alter':
        return await topicsAlter(t, c, io);
      case 'produce':
        await produce(t, c, io, io.stdin);
        return;
      case 'consume':
        await consume(t, c, io);
        return;
      case 'groups-list':
        return await groupsList(t, c, io);
      case 'groups-describe':
        return await groupsDescribe(t, c, io);
      case 'groups-reset-offsets':
        return await groupsResetOffsets(t, c, io);
      case 'groups-delete':
        return await groupsDelete(t, c, io);
      case 'cluster-describe':
        return await clusterDescribe(t, c, io);
      case 'perf-produce':
        await perfProduce(t, c, io);
        return;
      case 'perf-consume':
        await perfConsume(t, c, io);
        return;
    }
  } finally {
    await t.close();
  }
}

/** Runs the CLI; resolves to the exit status. */
export async function main(
  argv: readonly string[],
  io: MainIO = { ...stdio, stdin: process.stdin, isTTY: process.stderr.isTTY === true },
): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv, io.isTTY);
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.out(HELP);
      return 0;
    }
    io.err(`tributary: ${(err as Error).message}`);
    return 2;
  }
  if (command.kind === 'help') {
    io.out(HELP);
    return 0;
  }
  if (command.kind === 'version') {
    io.out('tributary 0.1.0');
    return 0;
  }
  try {
    await run(command, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tributary: ${err.message}`);
      return 2;
    }
    io.err(`tributary: ${describeError(err)}`);
    return 1;
  }
}
