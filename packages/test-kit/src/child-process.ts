import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A child process whose output is kept (the last 64 KiB of each stream) so a failing test can
 * show what the process said. Helpers signal only this child, by its pid.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  private stdoutTail = '';
  private stderrTail = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private lineListeners: ((line: string) => void)[] = [];

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: {
      env?: NodeJS.ProcessEnv;
      cwd?: string;
      echo?: boolean;
      /**
       * Run in a process group of its own, so a terminal's Ctrl-C (SIGINT to the whole
       * foreground group) does not reach it: its parent decides when it stops.
       */
      ownProcessGroup?: boolean;
    } = {},
  ) {
    this.child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.stdoutTail = (this.stdoutTail + text).slice(-65536);
      if (options.echo) process.stdout.write(text);
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) for (const listener of this.lineListeners) listener(line);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-65536);
      if (options.echo) process.stderr.write(chunk);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stdout(): string {
    return this.stdoutTail;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** Calls `listener` with each complete stdout line from now on. */
  onLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** Resolves with the exit code and signal once the process has exited. */
  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
