import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

/** What the HTTP endpoints read from the daemon. */
export interface HttpHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** `/readyz`: config loaded and every database reachable. */
  readiness(): { ready: boolean; reasons: readonly string[] };
  /** `/status`: the same document as `status --output json` (null before the first cycle). */
  status(): unknown;
  /** `POST /reconcile`: runs every policy now. */
  trigger(): void;
}

/**
 * `/metrics`, `/healthz`, `/readyz`, `/status` (SPEC §5) and `POST /reconcile`. Nothing here
 * queries PostgreSQL: every answer comes from the last cycle, so scrapes never time out.
 */
export async function startHttpServer(listen: string, h: HttpHandlers, log: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i) || '0.0.0.0';
  const port = Number(listen.slice(i + 1));
  const json = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
    res.end(`${JSON.stringify(body, null, 2)}\n`);
  };
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${url}`;
    void (async () => {
      switch (route) {
        case 'GET /metrics': {
          const m = await h.metrics();
          res.writeHead(200, { 'content-type': m.contentType });
          res.end(m.body);
          return;
        }
        case 'GET /healthz':
          return json(res, 200, { ok: true });
        case 'GET /readyz': {
          const r = h.readiness();
          return json(res, r.ready ? 200 : 503, r);
        }
        case 'GET /status': {
          const s = h.status();
          return s === null ? json(res, 503, { error: 'no cycle has finished yet' }) : json(res, 200, s);
        }
        case 'POST /reconcile':
          h.trigger();
          return json(res, 202, { triggered: true });
        default:
          if (['/metrics', '/healthz', '/readyz', '/status', '/reconcile'].includes(url ?? '')) return json(res, 405, { error: `${req.method} not allowed on ${url}` });
          return json(res, 404, { error: 'not found', endpoints: ['GET /metrics', 'GET /healthz', 'GET /readyz', 'GET /status', 'POST /reconcile'] });
      }
    })().catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err), route }, 'http handler failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  log.info({ listen: `${host}:${bound}` }, 'http server listening: /metrics /healthz /readyz /status, POST /reconcile');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
