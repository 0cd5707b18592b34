import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config';

/**
 * On the embedded database without JWT_SECRET, the token secret lives beside the data, made once
 * (mode 0600): tokens, screen tokens above all, outlive a restart, and the command line signs
 * tokens the server accepts. With JWT_SECRET, or an external database, the configuration decides.
 */
export function withPersistentSecret(config: Config): Config {
  if (config.jwtSecretGiven || config.databaseUrl) return config;
  const file = join(config.dataDir, 'jwt-secret');
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(config.dataDir, { recursive: true });
    secret = randomBytes(32).toString('hex');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  }
  return { ...config, jwtSecret: secret, jwtSecretGiven: true };
}
