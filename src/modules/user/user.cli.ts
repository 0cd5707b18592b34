import { parseArgs } from 'node:util';
import { createClock } from '../../clock';
import { ConfigError, loadConfig } from '../../config';
import { withDatabase } from '../../db/with-database';
import { AppError } from '../../core/errors';
import { AuthSession, SessionKind } from './session.entity';
import { withPersistentSecret } from './secret';
import { Role, User } from './user.entity';
import { createScreenToken, createUser, revokeSession } from './user.service';

const USAGE = `Usage: npm run users -- <command> [options]

  create-user --username NAME --role ADMIN|LEADER|DEPARTMENT|REPORTER|VIEWER [--region CODE] [--department NAME]
                the password is read from DUBAN_PASSWORD, or from the first line of standard input
  create-screen-token --name NAME --board P3:330300 [--board P1:330302 ...] [--days 365] [--by ADMIN_USERNAME]
                prints the token once: the screen sends it as Authorization: Bearer <token>
  revoke-token ID
  list-users
  list-screen-tokens

It uses the configured database (DATABASE_URL), or the embedded one in the data directory, also
while a server is running on it. Tokens are signed with JWT_SECRET, which must be the server's.`;

async function readPassword(): Promise<string> {
  if (process.env.DUBAN_PASSWORD) return process.env.DUBAN_PASSWORD;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n')[0].trim();
}

export async function runUsersCli(argv: string[], out: (line: string) => void = console.log): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      username: { type: 'string' }, role: { type: 'string' }, region: { type: 'string' }, department: { type: 'string' },
      name: { type: 'string' }, board: { type: 'string', multiple: true }, days: { type: 'string' }, by: { type: 'string' },
    },
  });
  const [command, arg] = positionals;
  if (!command) throw new CliError(USAGE);
  const config = withPersistentSecret(loadConfig());
  await withDatabase(config, async (db) => {
    const clock = createClock({ timeZone: config.timeZone });
    const em = db.orm.em.fork();
    switch (command) {
      case 'create-user': {
        const role = values.role as Role;
        if (!values.username || !Object.values(Role).includes(role)) throw new CliError(`create-user needs --username and --role (${Object.values(Role).join(', ')})`);
        const password = await readPassword();
        if (password.length < 8) throw new CliError('the password (DUBAN_PASSWORD or standard input) must be at least 8 characters');
        const user = await createUser(em, clock, undefined, { username: values.username, password, role, region: values.region, department: values.department });
        out(`created ${user.username} (${user.role}, id ${user.id})`);
        return;
      }
      case 'create-screen-token': {
        const boards = (values.board ?? []).map((b) => {
          const [programme, region] = b.split(':');
          if (!programme || !region) throw new CliError(`--board ${b}: write it as PROGRAMME:REGION, e.g. P3:330300`);
          return { programme, region };
        });
        if (!values.name || boards.length === 0) throw new CliError('create-screen-token needs --name and at least one --board');
        const by = await em.findOne(User, values.by ? { username: values.by, role: Role.ADMIN } : { role: Role.ADMIN }, { orderBy: { id: 'asc' } });
        if (!by) throw new CliError(values.by ? `${values.by} is not an ADMIN` : 'there is no ADMIN account yet: create one first');
        const days = values.days === undefined ? 365 : Number(values.days);
        if (!Number.isInteger(days) || days < 1 || days > 730) throw new CliError('--days must be a whole number from 1 to 730');
        const { token, session } = await createScreenToken(em, clock, config, by, { name: values.name, boards, days });
        out(`screen token ${session.id} for "${session.name}", until ${session.expiresAt.toISOString()}:`);
        out(token);
        return;
      }
      case 'revoke-token': {
        if (!arg) throw new CliError('revoke-token needs the token\'s id (list-screen-tokens shows it)');
        const admin = await em.findOne(User, { role: Role.ADMIN }, { orderBy: { id: 'asc' } });
        if (!admin) throw new CliError('there is no ADMIN account');
        const { session, lastSeq } = await revokeSession(em, clock, admin, arg);
        // Told on the bus, as a server's write is: the screens on it close within a second.
        if (lastSeq) await db.announce(lastSeq);
        out(`revoked ${session.id} at ${session.revokedAt!.toISOString()}`);
        return;
      }
      case 'list-users':
        for (const u of await em.find(User, {}, { orderBy: { username: 'asc' }, populate: ['region', 'department'] })) {
          out([u.id, u.username, u.role, u.region?.code ?? '-', u.department?.name ?? '-', u.disabledAt ? 'disabled' : 'active'].join('\t'));
        }
        return;
      case 'list-screen-tokens':
        for (const s of await em.find(AuthSession, { kind: SessionKind.SCREEN }, { orderBy: { createdAt: 'desc' } })) {
          out([s.id, s.name, (s.boards ?? []).map((b) => `${b.programme}:${b.region}`).join(','), s.expiresAt.toISOString(), s.revokedAt ? 'revoked' : 'active'].join('\t'));
        }
        return;
      default:
        throw new CliError(`unknown command ${command}\n\n${USAGE}`);
    }
  });
}

export class CliError extends Error {}

if (require.main === module) {
  runUsersCli(process.argv.slice(2)).then(() => process.exit(0), (error: unknown) => {
    const known = error instanceof CliError || error instanceof ConfigError || error instanceof AppError;
    console.error(known ? `duban users: ${(error as Error).message}` : error);
    process.exit(known ? 2 : 1);
  });
}
