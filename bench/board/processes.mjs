/** Servers in child processes: started, awaited until they print their URL, stopped by pid. */
import { spawn } from 'node:child_process';

/**
 * @typedef {{ name: string; url: string; pid: number; output(): string; stop(): Promise<void> }} RunningServer
 */

/**
 * Starts `node <args>` and resolves once a line of its stdout matches `ready` (group 1: the URL).
 * @param {{ name: string; args: string[]; env: Record<string, string>; ready: RegExp; cwd: string; timeoutMs?: number }} options
 * @returns {Promise<RunningServer>}
 */
export function startServer({ name, args, env, ready, cwd, timeoutMs = 90_000 }) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => { exited = true; resolve({ code, signal }); }));
  const output = () => lines.slice(-40).join('\n');

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void stop(); reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${output()}`)); }, timeoutMs);
    let pending = '';
    const onData = (stream) => (chunk) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(`[${name} ${stream}] ${line}`);
        const match = stream === 'out' ? ready.exec(line) : null;
        if (match) {
          clearTimeout(timer);
          resolve({ name, url: match[1], pid: child.pid, output, stop });
        }
      }
    };
    child.stdout.on('data', onData('out'));
    child.stderr.on('data', onData('err'));
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${output()}`));
    });
  });
}
