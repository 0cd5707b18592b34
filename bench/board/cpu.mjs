/**
 * CPU time of processes, from /proc (Linux): the server under load, and PostgreSQL (the postmaster
 * and its backends). Divided by the requests served, it says where a request's cost goes, which
 * holds better than throughput on a shared, noisy machine. Elsewhere than Linux: null.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

/** utime + stime of `pid` in ms, and its parent; null when it is gone. */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it are plain.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

/** CPU ms of each of `pids` and of each of their children. */
function snapshot(pids) {
  const cpu = new Map();
  const roots = new Set(pids);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const s = stat(pid);
    if (s && (roots.has(pid) || roots.has(s.ppid))) cpu.set(pid, s.cpuMs);
  }
  return cpu;
}

/** CPU ms spent between two snapshots; a process gone meanwhile counts for nothing (its last share is lost). */
function spent(before, after) {
  let ms = 0;
  for (const [pid, cpuMs] of after) ms += cpuMs - (before.get(pid) ?? 0);
  return ms;
}

/** The postmaster's pid, from the first line of postmaster.pid in the data directory. */
export function postmasterPid(dataDir) {
  const file = `${dataDir}/postmaster.pid`;
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null;
}

/**
 * Starts counting: the server's process (and children), PostgreSQL's postmaster and backends
 * (when known), and this process (the load generator). `stop()` gives the ms each spent.
 * @param {{ server: number; postmaster: number | null }} pids
 */
export function startCpuMeter({ server, postmaster }) {
  if (!existsSync('/proc/self/stat')) return { stop: () => null };
  const serverBefore = snapshot([server]);
  const pgBefore = postmaster ? snapshot([postmaster]) : null;
  const selfBefore = process.cpuUsage();
  return {
    stop() {
      const self = process.cpuUsage(selfBefore);
      return {
        serverMs: spent(serverBefore, snapshot([server])),
        postgresMs: pgBefore ? spent(pgBefore, snapshot([postmaster])) : null,
        loadGeneratorMs: (self.user + self.system) / 1000,
      };
    },
  };
}
