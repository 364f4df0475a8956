import { load, type Loaded } from '../config/load.js';
import type { ParsedOptions } from './args.js';
import { UsageError } from './args.js';

/** Loads config and policies for a command, narrowed to --policy when given. */
export function loadForCommand(opts: ParsedOptions): Loaded {
  const loaded = load({ configFile: opts.config ?? process.env.PARTWARDEN_CONFIG ?? './partwarden.yaml', policies: opts.policies });
  if (opts.policy === undefined) return loaded;
  const chosen = loaded.policies.filter((p) => p.name === opts.policy);
  if (chosen.length === 0) {
    throw new UsageError(`no policy named "${opts.policy}" (loaded: ${loaded.policies.map((p) => p.name).join(', ') || 'none'})`);
  }
  return { config: loaded.config, policies: chosen };
}
