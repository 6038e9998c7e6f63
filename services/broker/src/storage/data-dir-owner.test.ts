import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  currentProcessIdentity,
  DataDirInUseError,
  DataDirOwner,
  processStartTime,
  readOwnerRecord,
} from './data-dir-owner';
import { OWNER_RECORD } from './file-names';

let dataDir: string;
const children: ReturnType<typeof spawn>[] = [];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'data-dir-owner-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A real process that sleeps until killed, and its record as an owner that registered. */
async function otherProcess(leaseId = '7587886500218395651') {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  const pid = child.pid!;
  const record = { ...currentProcessIdentity()!, pid, startTime: processStartTime(pid)!, leaseId };
  fs.writeFileSync(path.join(dataDir, OWNER_RECORD), JSON.stringify(record));
  return { child, record };
}

const exited = (child: ReturnType<typeof spawn>) =>
  new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve),
  );

describe('DataDirOwner', () => {
  test('claims an empty directory and records itself, then its lease; release removes the record', () => {
    const owner = DataDirOwner.claim(dataDir);
    expect(owner.predecessor).toEqual({ kind: 'none' });
    expect(readOwnerRecord(dataDir)).toMatchObject({ pid: process.pid, version: 1 });
    owner.recordLease('42');
    expect(readOwnerRecord(dataDir)).toMatchObject({ pid: process.pid, leaseId: '42' });
    owner.release();
    expect(fs.existsSync(path.join(dataDir, OWNER_RECORD))).toBe(false);
  });

  test('refuses a directory whose owner is alive', async () => {
    const { record } = await otherProcess();
    expect(() => DataDirOwner.claim(dataDir)).toThrow(DataDirInUseError);
    expect(() => DataDirOwner.claim(dataDir)).toThrow(`in use by process ${record.pid}`);
    expect(readOwnerRecord(dataDir)).toEqual(record); // untouched
  });

  test('takes over from an owner killed with -9, offering its lease for revocation', async () => {
    const { child, record } = await otherProcess('1234');
    child.kill('SIGKILL');
    await exited(child);
    const owner = DataDirOwner.claim(dataDir);
    expect(owner.predecessor).toEqual({ kind: 'dead', record });
    expect(owner.deadPredecessorLeaseId).toBe('1234');
    expect(readOwnerRecord(dataDir)).toMatchObject({ pid: process.pid });
    expect(readOwnerRecord(dataDir)?.leaseId).toBeUndefined();
  });

  test('a pid now used by another process is not the owner (start times differ)', async () => {
    const { record } = await otherProcess('99');
    fs.writeFileSync(
      path.join(dataDir, OWNER_RECORD),
      JSON.stringify({ ...record, startTime: String(Number(record.startTime) - 1) }),
    );
    expect(DataDirOwner.claim(dataDir).deadPredecessorLeaseId).toBe('99');
  });

  test('an owner of another boot is not provably dead: nothing is revoked', async () => {
    const { child, record } = await otherProcess('55');
    child.kill('SIGKILL');
    await exited(child);
    fs.writeFileSync(path.join(dataDir, OWNER_RECORD), JSON.stringify({ ...record, bootId: 'another-boot' }));
    const owner = DataDirOwner.claim(dataDir);
    expect(owner.predecessor.kind).toBe('unknown');
    expect(owner.deadPredecessorLeaseId).toBeUndefined();
  });

  test('an unreadable record counts as none', () => {
    fs.writeFileSync(path.join(dataDir, OWNER_RECORD), '{"version":1,"pid":"x"');
    expect(DataDirOwner.claim(dataDir).predecessor).toEqual({ kind: 'none' });
  });
});
