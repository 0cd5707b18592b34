/**
 * npm run bench: every benchmark of the project, one after the other, each in its own process
 * (board, fan-out, national, ingestion, sign-in, race, stall), then BENCHMARKS.md written from their results
 * (bench/report.mjs). Sizes are those that fit the run in under 20 minutes on a 2-core machine:
 * the board for 10 s per server without its roll-up EXPLAIN section, the fan-out at 1,000
 * subscribers for 15 s, the sign-in bench at 12 rounds and 1 spread round (the variables override),
 * the others at their defaults.
 * A failed benchmark is reported as such; the others still run; the exit code is then 1.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { writeReport } from './report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN = fileURLToPath(new URL('./run-summary.json', import.meta.url));

const STEPS = [
  { name: 'board', command: 'BENCH_DURATION=10 BENCH_ROLLUP=off npm run bench:board', args: ['bench/board/run.mjs'], env: { BENCH_DURATION: process.env.BENCH_DURATION ?? '10', BENCH_ROLLUP: process.env.BENCH_ROLLUP ?? 'off' } },
  { name: 'fanout', command: 'BENCH_FANOUT_N=1000 BENCH_FANOUT_DURATION=15 npm run bench:fanout', args: ['bench/fanout/run.mjs'], env: { BENCH_FANOUT_N: process.env.BENCH_FANOUT_N ?? '1000', BENCH_FANOUT_DURATION: process.env.BENCH_FANOUT_DURATION ?? '15' } },
  { name: 'national', command: 'npm run bench:national', args: ['bench/national/run.mjs'], env: {} },
  { name: 'ingest', command: 'npm run bench:ingest', args: ['bench/ingest/run.mjs'], env: {} },
  { name: 'signin', command: 'BENCH_SIGNIN_ROUNDS=12 BENCH_SIGNIN_SPREAD_ROUNDS=1 npm run bench:signin', args: ['bench/signin/run.mjs'], env: { BENCH_SIGNIN_ROUNDS: process.env.BENCH_SIGNIN_ROUNDS ?? '12', BENCH_SIGNIN_SPREAD_ROUNDS: process.env.BENCH_SIGNIN_SPREAD_ROUNDS ?? '1' } },
  { name: 'race', command: 'BENCH_RACE_BURSTS=10 npm run bench:race', args: ['bench/race/run.mjs'], env: { BENCH_RACE_BURSTS: process.env.BENCH_RACE_BURSTS ?? '10' } },
  { name: 'stall', command: 'BENCH_STALL_UNLIMITED=off npm run bench:stall', args: ['bench/stall/run.mjs'], env: { BENCH_STALL_UNLIMITED: process.env.BENCH_STALL_UNLIMITED ?? 'off' } },
];

const only = process.env.BENCH_ONLY?.split(',');

function run(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, step.args, { cwd: ROOT, env: { ...process.env, ...step.env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, signal) => resolve({ name: step.name, command: step.command, ok: code === 0, exit: signal ?? code, seconds: (Date.now() - started) / 1000 }));
  });
}

const started = new Date();
const load = [loadavg()[0]];
const steps = [];
for (const step of STEPS) {
  if (only && !only.includes(step.name)) continue;
  console.error(`\n[bench] ${step.name}: ${step.command}`);
  steps.push(await run(step));
  load.push(loadavg()[0]);
}
const summary = { started: started.toISOString(), finished: new Date().toISOString(), seconds: (Date.now() - started.getTime()) / 1000, loadAverage: load, steps };
await writeFile(RUN, `${JSON.stringify(summary, null, 2)}\n`);
await writeReport(summary);
console.error(`\n[bench] done in ${(summary.seconds / 60).toFixed(1)} min: ${steps.map((s) => `${s.name} ${s.ok ? 'ok' : `FAILED (${s.exit})`}`).join(', ')}; BENCHMARKS.md written`);
if (steps.some((s) => !s.ok)) process.exitCode = 1;
