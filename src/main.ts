import { ConfigError, loadConfig } from './config';
import { startDuban } from './duban';
import { withPersistentSecret } from './modules/user/secret';

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = withPersistentSecret(loadConfig());
  const duban = await startDuban(config);
  const { server, events, services: { clock } } = duban;
  if (duban.demoLoaded) console.log('Loaded the Wenzhou 2019 demo (demo accounts: admin, leader, yanglao, lucheng, wuma, screen; password demo)');
  const origin = server.url.replace(/\/graphql$/, '');
  console.log([
    `Duban is running${duban.database?.embedded ? ' on its embedded PostgreSQL' : ''}; today is ${clock.today()}.`,
    `  API (HTTP):       ${server.url}`,
    `  API (WebSocket):  ${server.wsUrl}`,
    `  API (SSE):        ${server.sseUrl}`,
    ...(config.playground ? [`  Playground:       ${origin}/playground (also a browser's ${server.url})`] : []),
    `  Board:            ${origin}/board?programme=P3&region=330300`,
    `  Live events:      outbox followed over ${events.stream.busName === 'redis' ? 'Redis pub/sub' : 'PostgreSQL LISTEN/NOTIFY'}`,
  ].join('\n'));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    setTimeout(() => { console.error('shutdown took too long; exiting'); process.exit(1); }, SHUTDOWN_GRACE_MS).unref();
    // Stop accepting; sockets close with 1001 so clients reconnect elsewhere; in-flight requests finish.
    await duban.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`duban: ${error instanceof ConfigError ? 'configuration: ' : ''}${message.split('\n')[0]}`);
  process.exit(1);
});
