import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { goassistCacheDir } from './paths.js';

/**
 * Each running control plane records its child pids (with their binaries) and temp dir under the cache.
 * A later start removes the records of owners that died without tearing down, killing only pids that
 * still run the recorded binary, so a killed test run leaves nothing behind for long.
 */
interface RunRecord {
  ownerPid: number;
  tempDir: string;
  children: { pid: number; binary: string }[];
}

function registryDir(): string {
  const dir = join(goassistCacheDir(), 'controlplane', 'runs');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runsBinary(pid: number, binary: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '') === binary;
  } catch {
    return false;
  }
}

export class RunRegistry {
  private readonly file: string;
  private readonly record: RunRecord;

  constructor(tempDir: string) {
    const id = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.file = join(registryDir(), `${id}.json`);
    this.record = { ownerPid: process.pid, tempDir, children: [] };
    this.save();
  }

  add(pid: number, binary: string): void {
    this.record.children = this.record.children.filter((c) => c.pid !== pid);
    this.record.children.push({ pid, binary });
    this.save();
  }

  remove(pid: number): void {
    this.record.children = this.record.children.filter((c) => c.pid !== pid);
    this.save();
  }

  close(): void {
    rmSync(this.file, { force: true });
  }

  private save(): void {
    writeFileSync(this.file, JSON.stringify(this.record));
  }

  /** Cleans up after owners that are gone; returns how many stale processes it killed. */
  static reapStale(log: (line: string) => void): number {
    let killed = 0;
    const dir = registryDir();
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, name);
      let rec: RunRecord;
      try {
        rec = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
      } catch {
        continue; // being written by its owner right now
      }
      if (alive(rec.ownerPid)) continue;
      for (const c of rec.children) {
        if (alive(c.pid) && runsBinary(c.pid, c.binary)) {
          log(`reaping pid ${c.pid} (${c.binary}) left by dead owner ${rec.ownerPid}`);
          process.kill(c.pid, 'SIGKILL');
          killed++;
        }
      }
      rmSync(rec.tempDir, { recursive: true, force: true });
      unlinkSync(file);
    }
    return killed;
  }
}
