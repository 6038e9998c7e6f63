// Shared helpers for benchmarks: machine description, size parsing, progress bar, result table
// and the JSON result file (bench/results/<name>.json). Every bench prints the same way.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** What the figures were measured on. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/** Parses `1g`, `64m`, `512k`, `1048576` (binary units) into bytes. */
export function parseBytes(text, fallback) {
  if (text === undefined || text === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(String(text).trim());
  if (!m) throw new Error(`cannot read a size from "${text}" (try 64m or 1g)`);
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * unit);
}

/** Human size: 1.0 GiB, 64.0 MiB. */
export function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A progress bar over `total` units on stderr; `update(done, label)` and `stop()`. Silent when not a TTY. */
export function progress(total, unit = 'MiB') {
  const bar = new cliProgress.SingleBar(
    {
      format: ` {bar} {percentage}% | {value}/{total} ${unit} | {label}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '' });
  return {
    update: (value, label) => bar.update(Math.min(total, value), { label }),
    stop: () => bar.stop(),
  };
}

/** Renders rows (arrays of cells) under `head` as a table string. */
export function table(head, rows) {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row);
  return t.toString();
}

/** Writes `{ bench, date, machine, ...extra, cases }` to bench/results/<bench>.json, returns its path. */
export function writeResults(bench, cases, extra = {}) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${bench}.json`);
  const body = { bench, date: new Date().toISOString(), machine: machineInfo(), ...extra, cases };
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

/** Seconds elapsed since `start` (a `process.hrtime.bigint()` value). */
export function secondsSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** MB/s with MB = 10^6 bytes, the unit disks are sold in. */
export function mbPerSec(bytes, seconds) {
  return bytes / 1e6 / seconds;
}
