/** Runs the built `tributary` bin (clients/ts/bin/tributary.js -> dist) as a user would. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@tributary/test-kit';

const BIN = join(repoRoot, 'clients/ts/bin/tributary.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `tributary ...args` with `stdin` (and `env`, default this process's); rejects (after killing
 * it) if it runs past `timeoutMs`.
 */
export function tributary(
  args: string[],
  stdin = '',
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tributary ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}
