import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * JSON lines on stderr in production; human-readable when stderr is a terminal (or
 * PARTWARDEN_LOG_FORMAT=pretty). Stdout stays free for command output (plans, JSON).
 */
export function createLogger(level = process.env.PARTWARDEN_LOG_LEVEL ?? 'info'): Logger {
  const format = process.env.PARTWARDEN_LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const options = { level, base: { service: 'partwarden' }, redact: { paths: ['url', '*.url', 'password', '*.password'], censor: '***' } };
  if (format === 'pretty') {
    return pino(options, pretty({ destination: 2, colorize: process.stderr.isTTY, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss', singleLine: true }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything (tests, --quiet). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
