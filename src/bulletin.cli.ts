#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { graphql } from 'graphql';
import { createClock } from './clock';
import { ConfigError, loadConfig } from './config';
import type { Services } from './core/context';
import { withDatabase } from './db/with-database';
import { bulletinDocument } from './modules/bulletin/bulletin.document';
import { BulletinRefusal, isDay, readBulletin } from './modules/bulletin/bulletin.read';
import { DEMO_DAY } from './modules/demo/demo.loader';
import type { EventStream } from './modules/events/event-stream';
import { User } from './modules/user/user.entity';
import { createContext } from './server/context';
import { buildSchema } from './server/schema';

/*
 * A root beside main.ts: it runs the bulletin's queries on the schema as /graphql does, so it
 * lives outside the modules (which never import the server).
 */
const USAGE = `Usage: npm run bulletin -- --user <username> --region <code> [--programme <code>] [--as-of YYYY-MM-DD] [--out file.docx]

Writes the bulletin (通报) as a Word document, read as <username> with that user's permissions (as
GET /export/bulletin.docx does), on the database of DATABASE_URL (or the embedded one in
DUBAN_DATA_DIR, beside a running server too). Without --programme, every programme of the year;
without --as-of, today (the demo's 2019-06-30 in demo mode); without --out,
bulletin-<programme|all>-<region>-<day>.docx in the current directory.
Exit status: 0 written, 1 refused (not found, forbidden), 2 the command.`;

class UsageError extends Error {}

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      user: { type: 'string' }, region: { type: 'string' }, programme: { type: 'string' }, 'as-of': { type: 'string' },
      out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new UsageError('');
  if (!values.user) throw new UsageError('name the user to read as: --user <username>');
  if (!values.region) throw new UsageError('name the region: --region 330300');
  if (values['as-of'] !== undefined && !isDay(values['as-of'])) throw new UsageError('--as-of is a day, YYYY-MM-DD');
  return { user: values.user, region: values.region, programme: values.programme, asOf: values['as-of'], out: values.out };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof options>;
  try {
    args = options(process.argv.slice(2));
  } catch (error) {
    const message = (error as Error).message;
    if (!message) { console.log(USAGE); return 0; }
    console.error(`duban-bulletin: ${message}\n\n${USAGE}`);
    return 2;
  }
  // Reading signs no token: the bulletin is read as the named user, with that user's permissions.
  const config = loadConfig(process.env, { signsTokens: false });
  return withDatabase(config, async (db) => {
    const user = await db.orm.em.fork().findOne(User, { username: args.user }, { populate: ['region', 'department'] });
    if (!user || user.disabledAt) {
      console.error(`duban-bulletin: no user "${args.user}"${user ? ' (disabled)' : ''}`);
      return 2;
    }
    const clock = createClock({ pinnedDay: config.now ?? (config.demo ? DEMO_DAY : undefined), timeZone: config.timeZone });
    // Only reads: nothing is committed, so nothing is announced.
    const services: Services = { em: db.orm.em, clock, config, events: { announce: () => undefined } as unknown as EventStream };
    const ctx = { ...createContext(services), user };
    const schema = buildSchema();
    const execute = async (source: string, variableValues: Record<string, unknown>) => {
      const result = await graphql({ schema, source, variableValues, contextValue: ctx });
      return { data: result.data ?? undefined, errors: result.errors?.map((e) => e.toJSON()) };
    };
    const asOf = args.asOf ?? clock.today();
    try {
      const bulletin = await readBulletin(execute, ctx.em, clock.timeZone, { programme: args.programme, region: args.region, asOf });
      const file = args.out ?? `bulletin-${args.programme ?? 'all'}-${args.region}-${asOf}.docx`;
      writeFileSync(file, await bulletinDocument(bulletin));
      console.log(`wrote ${file}: ${bulletin.programmes.map((p) => p.programme.code).join(', ')} at ${bulletin.region.name} (${bulletin.region.code}) as of ${asOf}`);
      return 0;
    } catch (error) {
      if (!(error instanceof BulletinRefusal)) throw error;
      console.error(`duban-bulletin: ${error.code}: ${error.message}`);
      return 1;
    }
  });
}

// process.exit, not exitCode: the embedded PostgreSQL's exit hook would otherwise exit with 0.
main().then((code) => process.exit(code), (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`duban-bulletin: ${error instanceof ConfigError ? 'configuration: ' : ''}${message.split('\n')[0]}`);
  process.exit(2);
});
