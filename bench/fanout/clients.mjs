/** The subscriber processes (subscribers.mjs), forked with IPC, called like functions, stopped by pid. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(new URL('./subscribers.mjs', import.meta.url));

/** One subscriber process. `call(cmd, args)` resolves with its answer. */
export function startSubscriberProcess(name) {
  const child = fork(FILE, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let next = 0;
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    for (const { reject } of pending.values()) reject(new Error(`${name} exited (${signal ?? code})`));
    pending.clear();
    resolve();
  }));
  child.on('message', ({ id, result, error }) => {
    const waiting = pending.get(id);
    if (!waiting) return;
    pending.delete(id);
    if (error) waiting.reject(new Error(`${name}: ${error}`));
    else waiting.resolve(result);
  });
  return {
    name,
    pid: child.pid,
    call(cmd, args = {}) {
      if (exited) return Promise.reject(new Error(`${name} has exited`));
      const id = ++next;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, args });
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** `count` processes; `n` subscribers split among them as evenly as can be. */
export function split(n, count) {
  return Array.from({ length: count }, (_, i) => Math.floor(n / count) + (i < n % count ? 1 : 0));
}
