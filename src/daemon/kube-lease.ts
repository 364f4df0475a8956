import { existsSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CoordinationV1Api, KubeConfig, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import type { LeaseConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { LeaseState } from '../reconcile/status-report.js';

/** Where an in-cluster pod finds its namespace (the service account's). */
const NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** A request to the API server that does not answer in time fails (the loop tries again; a holder steps down at renewDeadline). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const statusOf = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
};

/** The namespace of the Lease: the config's, else the pod's ($POD_NAMESPACE, the service account's), the kubeconfig context's, "default". */
export function leaseNamespace(config: LeaseConfig, kc: KubeConfig, env: NodeJS.ProcessEnv): string {
  if (config.namespace) return config.namespace;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    const ns = readFileSync(NAMESPACE_FILE, 'utf8').trim();
    if (ns) return ns;
  } catch {
    // not in a pod
  }
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

/** This replica's name in the Lease: the config's, else $POD_NAME, else host-pid (two processes on one host differ). */
export const leaseIdentity = (config: LeaseConfig, env: NodeJS.ProcessEnv): string => config.identity ?? env.POD_NAME ?? `${hostname()}-${process.pid}`;

/**
 * Leader election through a Kubernetes Lease (coordination.k8s.io/v1), the algorithm of
 * client-go's leaderelection: every `retryPeriod` a replica reads the Lease; it takes it when
 * nobody holds it or when the holder has not renewed it for `duration` as seen on this
 * replica's own (monotonic) clock, never the record's timestamps, so clock skew between nodes
 * cannot hand the Lease to two replicas. Every write names the resourceVersion it read: of two
 * replicas racing, one gets a conflict. The holder renews every `retryPeriod` and stops acting
 * as soon as it has not renewed for `renewDeadline` (< duration), before anyone may take over.
 * On shutdown the holder hands the Lease back (holder emptied) so a successor need not wait.
 */
export class KubeLease {
  readonly #api: CoordinationV1Api;
  readonly #name: string;
  readonly #namespace: string;
  readonly #identity: string;
  readonly #config: LeaseConfig;
  readonly #log: Logger;
  readonly #onChange: (held: boolean) => void;
  /** The record as last read, and when (monotonic ms) it last changed: the holder's liveness as we see it. */
  #observed: { holder: string | null; renewTime: string | null; resourceVersion: string | undefined } | undefined;
  #observedAtMs = 0;
  /** When (monotonic ms) our last successful write of the Lease as holder was sent. */
  #renewedAtMs: number | undefined;
  #reason = 'not tried yet';
  #timer: NodeJS.Timeout | undefined;
  /** Fires when renewDeadline passes without a renewal: leadership ends on time even while a request hangs. */
  #watchdog: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** The API's MicroTime (microseconds on the wire) of an instant. */
  readonly #microTime: (ms: number) => Date;

  private constructor(api: CoordinationV1Api, microTime: (ms: number) => Date, namespace: string, identity: string, config: LeaseConfig, log: Logger, onChange: (held: boolean) => void) {
    this.#api = api;
    this.#microTime = microTime;
    this.#name = config.name;
    this.#namespace = namespace;
    this.#identity = identity;
    this.#config = config;
    this.#log = log.child({ lease: `${namespace}/${config.name}`, identity });
    this.#onChange = onChange;
  }

  /** Loads the Kubernetes client configuration: $KUBECONFIG or ~/.kube/config, else the in-cluster service account. */
  static async open(config: LeaseConfig, log: Logger, onChange: (held: boolean) => void, env: NodeJS.ProcessEnv = process.env): Promise<KubeLease> {
    // the client would fall back to http://localhost:8080 and never elect anyone: said at start instead
    const files = (env.KUBECONFIG ?? path.join(homedir(), '.kube', 'config')).split(path.delimiter).filter(Boolean);
    if (!env.KUBERNETES_SERVICE_HOST && !files.some((f) => existsSync(f))) {
      throw new Error(`leaderElection is "lease" but no Kubernetes API server is configured: not in a pod (KUBERNETES_SERVICE_HOST unset) and no kubeconfig at ${files.join(', ') || '(KUBECONFIG empty)'}; run it in the chart (leaderElection.mode=lease mounts the token) or set KUBECONFIG`);
    }
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new Error(`leaderElection is "lease" but the Kubernetes client configuration cannot be loaded: ${messageOf(err)}`);
    }
    if (!kc.getCurrentCluster()) throw new Error('leaderElection is "lease" but the kubeconfig names no current cluster');
    return new KubeLease(kc.makeApiClient(k8s.CoordinationV1Api), (ms) => new k8s.V1MicroTime(ms), leaseNamespace(config, kc, env), leaseIdentity(config, env), config, log, onChange);
  }

  get #requestTimeoutMs(): number {
    return Math.max(500, Math.floor(this.#config.renewDeadlineMs / 2));
  }

  /** Holds the Lease now: renewed within renewDeadline, as measured on this process's monotonic clock. */
  get held(): boolean {
    return this.#renewedAtMs !== undefined && performance.now() - this.#renewedAtMs < this.#config.renewDeadlineMs;
  }

  state(): LeaseState {
    const held = this.held;
    return { lease: `${this.#namespace}/${this.#name}`, identity: this.#identity, held, holder: held ? this.#identity : this.#observed?.holder ?? null, reason: this.#reason };
  }

  /** Tries at once, then every retryPeriod. */
  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#running = this.#attempt().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#config.retryPeriodMs);
      });
    };
    tick();
  }

  /** One try to take or renew; a change of leadership is reported at once. */
  async #attempt(): Promise<void> {
    const was = this.held;
    // counted from before the request: the write may land at any moment until its answer, and others time the Lease from when they see it
    const sentAtMs = performance.now();
    const ok = await this.#tryAcquireOrRenew().catch((err: unknown) => {
      this.#reason = `the Kubernetes API server did not answer: ${messageOf(err)}`;
      return false;
    });
    if (ok) {
      this.#renewedAtMs = sentAtMs;
      this.#reason = 'this replica holds the Lease';
      clearTimeout(this.#watchdog);
      this.#watchdog = setTimeout(() => this.#expired(), Math.max(1, sentAtMs + this.#config.renewDeadlineMs - performance.now() + 1));
      this.#watchdog.unref();
    }
    this.#report(was);
  }

  /** renewDeadline passed since the last renewal. */
  #expired(): void {
    if (this.#renewedAtMs === undefined || this.held) return;
    if (!/did not answer|conflict/.test(this.#reason)) this.#reason = `the Lease was not renewed for ${this.#config.renewDeadlineMs} ms`;
    this.#report(true);
  }

  /** Leadership changed since `was`: logged and reported at once. */
  #report(was: boolean): void {
    const now = this.held;
    if (!now) this.#renewedAtMs = undefined;
    if (now === was) return;
    if (now) this.#log.info('acquired the Kubernetes Lease');
    else this.#log.warn({ why: this.#reason }, 'lost the Kubernetes Lease: not acting until it is held again');
    this.#onChange(now);
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    let lease: V1Lease | undefined;
    try {
      lease = await within(this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }), this.#requestTimeoutMs);
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    if (!lease) return this.#create(now);
    this.#observe(lease);
    const spec = lease.spec ?? {};
    const holder = this.#observed!.holder;
    const durationMs = (spec.leaseDurationSeconds ?? this.#config.durationMs / 1000) * 1000;
    if (holder && holder !== this.#identity && performance.now() - this.#observedAtMs < durationMs) {
      this.#reason = `${holder} holds the Lease`;
      return false;
    }
    const mine = holder === this.#identity;
    try {
      this.#observe(await within(this.#api.replaceNamespacedLease({ name: this.#name, namespace: this.#namespace, body: { ...lease, spec: this.#holderSpec(now, mine ? spec.acquireTime : undefined, (spec.leaseTransitions ?? 0) + (mine ? 0 : 1)) } }), this.#requestTimeoutMs));
      if (!mine) this.#log.info({ previous: holder }, holder ? 'took over the Lease (its holder stopped renewing it)' : 'took the free Lease');
      return true;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      this.#reason = 'another replica wrote the Lease first (conflict)';
      return false;
    }
  }

  /** The record as read or written: when it changed (holder, renewTime, resourceVersion), the holder is alive as of now. */
  #observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    const seen = { holder: spec.holderIdentity || null, renewTime: spec.renewTime ? new Date(spec.renewTime).toISOString() : null, resourceVersion: lease.metadata?.resourceVersion };
    const o = this.#observed;
    if (o && o.holder === seen.holder && o.renewTime === seen.renewTime && o.resourceVersion === seen.resourceVersion) return;
    this.#observed = seen;
    this.#observedAtMs = performance.now();
  }

  /** This replica as holder, renewed at `now` (a renewal keeps its `acquired` time; a takeover starts a new one). */
  #holderSpec(now: number, acquired: Date | undefined, leaseTransitions: number): V1LeaseSpec {
    return {
      holderIdentity: this.#identity,
      leaseDurationSeconds: Math.ceil(this.#config.durationMs / 1000),
      acquireTime: acquired ?? this.#microTime(now),
      renewTime: this.#microTime(now),
      leaseTransitions,
    };
  }

  async #create(now: number): Promise<boolean> {
    try {
      this.#observe(await within(this.#api.createNamespacedLease({
        namespace: this.#namespace,
        body: {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: this.#name, namespace: this.#namespace, labels: { 'app.kubernetes.io/managed-by': 'partwarden' } },
          spec: this.#holderSpec(now, undefined, 0),
        },
      }), this.#requestTimeoutMs));
      this.#log.info('created the Lease');
      return true;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      this.#reason = 'another replica created the Lease first';
      return false;
    }
  }

  /** Stops trying; a holder hands the Lease back (holder emptied) so another replica takes it at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#watchdog);
    await this.#running?.catch(() => undefined);
    const wasHeld = this.held;
    this.#renewedAtMs = undefined;
    this.#reason = 'this replica is stopping';
    if (wasHeld) this.#onChange(false);
    if (!wasHeld) return;
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace });
      if (lease.spec?.holderIdentity !== this.#identity) return;
      await this.#api.replaceNamespacedLease({ name: this.#name, namespace: this.#namespace, body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } } });
      this.#log.info('released the Lease');
    } catch (err) {
      this.#log.warn({ err: messageOf(err) }, 'could not release the Lease: another replica takes it when it expires');
    }
  }
}
