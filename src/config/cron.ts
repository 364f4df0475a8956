import { validate } from 'node-cron';

/** True when node-cron accepts the expression (5 fields, or 6 with seconds). */
export function isValidCron(expression: string): boolean {
  try {
    return validate(expression);
  } catch {
    return false;
  }
}
