import http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../src/dev/embedded-pg.js';

/** What to do with a request that matches a rule. */
export type Fault =
  | { kind: 'status'; status: number; body?: string } // answer this instead of forwarding
  | { kind: 'ok-with-error' } // 200 with an S3 <Error> body (CompleteMultipartUpload's trap)
  | { kind: 'reset' } // destroy the connection without an answer
  | { kind: 'hang' }; // read the request, never answer (the client is stuck, e.g. until killed)

export interface FaultRule {
  readonly method?: string;
  /** Matched against the request URL (path + query). */
  readonly url: RegExp;
  /** How many matching requests get the fault (Infinity = all). */
  times: number;
  readonly fault: Fault;
}

export interface FaultProxy {
  readonly endpoint: string;
  rules: FaultRule[];
  /** Every request seen: `METHOD url -> status|fault`. */
  readonly log: string[];
}

/**
 * A loopback HTTP proxy in front of the S3 server that injects faults on chosen requests: a
 * real network hop, so the SDK's retry, abort and error handling run for real (no mocks).
 */
export function useFaultProxy(target: () => string): FaultProxy {
  const proxy = { rules: [], log: [] } as unknown as { endpoint: string; rules: FaultRule[]; log: string[] };
  let server: http.Server | undefined;
  beforeAll(async () => {
    const port = await freePort();
    server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      const rule = proxy.rules.find((r) => r.times > 0 && (!r.method || r.method === req.method) && r.url.test(url));
      if (rule) {
        rule.times--;
        proxy.log.push(`${req.method} ${url} -> ${rule.fault.kind}`);
        req.resume();
        req.on('end', () => {
          if (rule.fault.kind === 'hang') return;
          if (rule.fault.kind === 'reset') return req.socket.destroy();
          if (rule.fault.kind === 'ok-with-error') {
            res.writeHead(200, { 'content-type': 'application/xml' });
            return res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>');
          }
          res.writeHead(rule.fault.status, { 'content-type': 'application/xml' });
          res.end(rule.fault.body ?? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>injected ${rule.fault.status}</Message></Error>`);
        });
        return;
      }
      const t = new URL(target());
      const upstream = http.request({ host: t.hostname, port: t.port, method: req.method, path: url, headers: req.headers }, (up) => {
        proxy.log.push(`${req.method} ${url} -> ${up.statusCode}`);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => req.socket.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    proxy.endpoint = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections(); // held ('hang') requests would otherwise keep close() waiting
    await new Promise((resolve) => server?.close(resolve));
  });
  return proxy;
}
