import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { listPolicyFiles } from '../config/files.js';
import type { Logger } from '../log.js';

/** Changes within this window are one reload (editors write in several steps; a ConfigMap swap is several renames). */
const DEBOUNCE_MS = 300;

/**
 * Watches the config file's directory and the policies directory. Watching directories, not
 * files, catches in-place writes, editors' rename-over, and Kubernetes ConfigMap updates (which
 * swap the `..data` symlink in the mounted directory). A reload fires only when the content
 * actually changed.
 */
export class ConfigWatcher {
  readonly #configFile: string;
  readonly #onChange: () => void;
  readonly #log: Logger;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #fingerprint: string;
  #config: Config;

  constructor(configFile: string, config: Config, onChange: () => void, log: Logger) {
    this.#configFile = path.resolve(configFile);
    this.#onChange = onChange;
    this.#log = log;
    this.#config = config;
    this.#fingerprint = this.#compute();
    this.#watch();
  }

  /** After a reload: the policies directory may have moved. */
  retarget(config: Config): void {
    this.#config = config;
    this.#fingerprint = this.#compute();
    this.#close();
    this.#watch();
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#close();
  }

  #dirs(): string[] {
    const base = path.dirname(this.#configFile);
    const spec = path.resolve(base, this.#config.policies);
    const policiesDir = spec.includes('*') || /\.ya?ml$/i.test(spec) ? path.dirname(spec) : spec;
    return [...new Set([base, policiesDir])];
  }

  #watch(): void {
    for (const dir of this.#dirs()) {
      try {
        const w = watch(dir, { persistent: false }, () => this.#changed());
        w.on('error', (err) => this.#log.warn({ dir, err: err.message }, 'watching for config changes failed; SIGHUP still reloads'));
        this.#watchers.push(w);
      } catch (err) {
        this.#log.warn({ dir, err: (err as Error).message }, 'cannot watch for config changes; SIGHUP still reloads');
      }
    }
  }

  #close(): void {
    for (const w of this.#watchers.splice(0)) w.close();
  }

  #changed(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const now = this.#compute();
      if (now === this.#fingerprint) return;
      this.#fingerprint = now;
      this.#onChange();
    }, DEBOUNCE_MS);
    this.#timer.unref();
  }

  /** Hash of the config file and every policy file it names (content, not mtimes). */
  #compute(): string {
    const h = createHash('sha256');
    const add = (file: string) => {
      try {
        h.update(file).update('\0').update(readFileSync(file)).update('\0');
      } catch {
        h.update(file).update('\0missing\0');
      }
    };
    add(this.#configFile);
    const files = listPolicyFiles(this.#config.policies, path.dirname(this.#configFile));
    if (typeof files === 'string') h.update(files);
    else for (const f of files) add(f);
    return h.digest('hex');
  }
}
