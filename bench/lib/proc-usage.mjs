// CPU seconds and peak resident memory of processes, from /proc (Linux): what a system cost
// while a bench case ran. Long-lived servers are read before and after the case (their peak is
// reset first through clear_refs); a short-lived tool runs under GNU time, which reports the
// same two figures for it after it exits.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a running process has used so far. */
export function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) in parentheses; utime is the 14th
  // field of the line, the 12th after the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * The whole machine's CPU over a stretch of time, from /proc/stat: `start()` then `finish()`
 * gives busy CPU seconds (every process on the machine), seconds stolen by the hypervisor (a
 * virtual machine's vCPU waiting for a host core: every process on it stalls together) and the
 * elapsed seconds times the cores. `others(oursSeconds)` is what ran beside a case.
 */
export function machineCpu() {
  // cpu  user nice system idle iowait irq softirq steal ...
  const read = () =>
    fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  let before;
  return {
    start() {
      before = read();
    },
    finish() {
      const d = read().map((v, i) => v - before[i]);
      const [user, nice, system, idle, iowait, irq, softirq, steal] = d.map((t) => t / TICKS_PER_SECOND);
      const total = user + nice + system + idle + iowait + irq + softirq + steal;
      return { busySeconds: user + nice + system + irq + softirq, stealSeconds: steal, coreSeconds: total };
    },
  };
}

/** Peak resident set size (VmHWM) of a running process in bytes since start or the last reset. */
export function peakRssBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? 0 : Number(kib) * 1024;
}

/** Resets a process's VmHWM to its current RSS ("5" to clear_refs), so a case sees its own peak. */
export function resetPeakRss(pid) {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/**
 * Measures a set of long-lived processes over one case: `start()` resets their peaks and reads
 * their CPU; `finish()` returns the CPU seconds used since (summed) and the sum of their peaks.
 */
export function serverUsage(pids) {
  let before = 0;
  return {
    start() {
      for (const pid of pids) resetPeakRss(pid);
      before = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    },
    finish() {
      const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - before;
      const peak = pids.reduce((sum, pid) => sum + peakRssBytes(pid), 0);
      return { cpuSeconds: cpu, peakRssBytes: peak };
    },
  };
}

/**
 * Runs a tool to completion under GNU time (/usr/bin/time). Resolves to its stdout, stderr,
 * exit code, CPU seconds and peak RSS; rejects when it exits non-zero.
 */
export function runMeasured(command, args, { cwd, env } = {}) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-time-')), 'time');
  const child = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', report, command, ...args], {
    cwd,
    env: env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const text = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : '';
      fs.rmSync(path.dirname(report), { recursive: true, force: true });
      // GNU time prints "Command exited with non-zero status N" first when the tool failed.
      const [user, system, maxKib] = text.trim().split('\n').pop().split(' ').map(Number);
      const result = {
        stdout,
        stderr,
        code,
        cpuSeconds: (user ?? 0) + (system ?? 0),
        peakRssBytes: (maxKib ?? 0) * 1024,
      };
      if (code !== 0) {
        reject(
          new Error(
            `${path.basename(command)} ${args.slice(0, 6).join(' ')} exited ${code}: ${stderr.slice(-1500)}`,
          ),
        );
      } else resolve(result);
    });
  });
}

/** Sums the usage of several measured tool runs (four producers). */
export function sumUsage(runs) {
  return {
    cpuSeconds: runs.reduce((s, r) => s + r.cpuSeconds, 0),
    peakRssBytes: runs.reduce((s, r) => s + r.peakRssBytes, 0),
  };
}
