#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs';
import { createClock } from '../../clock';
import { ConfigError, loadConfig } from '../../config';
import { withDatabase } from '../../db/with-database';
import { DEMO_DAY } from '../demo/demo.loader';
import { UnitOfWork } from '../events/unit-of-work';
import { User } from '../user/user.entity';
import { IMPORT_KINDS, type ImportKind } from './spreadsheet.columns';
import { importSheet, type ImportSummary } from './spreadsheet.import';
import { NotASpreadsheetError, readSheet, SheetShapeError, SheetTooLargeError } from './spreadsheet.read';

const USAGE = `Usage: npm run import -- <submissions|targets|trajectories> <file.xlsx|file.csv> --user <username> [--dry-run] [--json]

Imports figures, targets or targets' trajectories from a spreadsheet as <username>, with that user's permissions, on the
database of DATABASE_URL (or the embedded one in DUBAN_DATA_DIR, beside a running server too),
migrated first as a start would.
Every row is checked first; one conflict and nothing is written. --dry-run checks without writing.
Exit status: 0 imported (or would be), 1 conflicts (nothing written), 2 the file or the command.`;

/** The largest file and the most rows, as over HTTP. */
const MAX_BYTES = 5 * 1024 * 1024;
const MAX_ROWS = 5_000;

class UsageError extends Error {}

function parseArgs(argv: string[]): { kind: ImportKind; file: string; username: string; dryRun: boolean; json: boolean } {
  const positional: string[] = [];
  let username: string | undefined;
  let dryRun = false;
  let json = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--json') json = true;
    else if (arg === '--user') username = argv[(i += 1)];
    else if (arg.startsWith('--user=')) username = arg.slice('--user='.length);
    else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const [kind, file] = positional;
  if (!IMPORT_KINDS.includes(kind as ImportKind)) throw new UsageError('say what the file holds: submissions, targets or trajectories');
  if (!file || positional.length > 2) throw new UsageError('name one file');
  if (!username) throw new UsageError('name the user to import as: --user <username>');
  return { kind: kind as ImportKind, file, username, dryRun, json };
}

/** The summary as a person reads it: one line of counts, then each conflict. */
export function describe(summary: ImportSummary): string {
  const { counts } = summary;
  const lines = [
    `${summary.status}${summary.dryRun ? ' (dry run)' : ''}: ${counts.rows} rows; imported ${counts.imported}, updated ${counts.updated}, ignored ${counts.ignored}; `
    + (summary.written ? 'written' : 'nothing written'),
  ];
  for (const c of summary.conflicts) lines.push(`  row ${c.row}${c.column ? ` (${c.column})` : ''}: ${c.code}: ${c.reason}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    const message = (error as Error).message;
    if (!message) { console.log(USAGE); return 0; }
    console.error(`duban-import: ${message}\n\n${USAGE}`);
    return 2;
  }
  let data: Buffer;
  try {
    if (statSync(args.file).size > MAX_BYTES) throw new UsageError(`${args.file} is larger than ${MAX_BYTES} bytes; split it`);
    data = readFileSync(args.file);
  } catch (error) {
    console.error(`duban-import: ${(error as Error).message}`);
    return 2;
  }
  let sheet;
  try {
    sheet = await readSheet(data, args.kind);
  } catch (error) {
    if (!(error instanceof NotASpreadsheetError || error instanceof SheetShapeError || error instanceof SheetTooLargeError)) throw error;
    console.error(`duban-import: ${args.file}: ${error.message}`);
    return 2;
  }

  // An import signs no token; it writes as the named user, with that user's permissions.
  const config = loadConfig(process.env, { signsTokens: false });
  return withDatabase(config, async (db) => {
    const user = await db.orm.em.fork().findOne(User, { username: args.username }, { populate: ['region'] });
    if (!user) {
      console.error(`duban-import: no user "${args.username}"`);
      return 2;
    }
    const clock = createClock({ pinnedDay: config.now ?? (config.demo ? DEMO_DAY : undefined), timeZone: config.timeZone });
    let lastSeq: string | undefined;
    const unit = UnitOfWork.root(db.orm.em.fork(), clock, (seq) => { lastSeq = seq; });
    const summary = await importSheet(unit, user, args.kind, sheet, { dryRun: args.dryRun, maxRows: MAX_ROWS });
    // The running instances read the outbox on this announcement (or at their next poll without it).
    if (lastSeq) await db.announce(lastSeq).catch(() => undefined);
    console.log(args.json ? JSON.stringify(summary, null, 2) : describe(summary));
    return summary.status === 'SUCCESS' ? 0 : 1;
  });
}

// process.exit, not exitCode: the embedded PostgreSQL's exit hook would otherwise exit with 0.
main().then((code) => process.exit(code), (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`duban-import: ${error instanceof ConfigError ? 'configuration: ' : ''}${message.split('\n')[0]}`);
  process.exit(2);
});
