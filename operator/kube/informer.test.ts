import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../resources/types.js';
import { KubeClient } from './client.js';
import { Informer } from './informer.js';
import { KINDS } from './kinds.js';

/**
 * Unit test of the informer's recovery logic against a scripted local server speaking the list/watch
 * wire format; a real API server cannot be made to answer 410 Gone on demand. The integration tests
 * (operator/test/apiserver-restart.test.ts) cover the real thing.
 */
const obj = (name: string, rv: string) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

describe('Informer', () => {
  let server: Server;
  let client: KubeClient;
  const requests: string[] = [];
  let lists = 0;
  let watches = 0;
  let openWatch: ((line: string) => void) | undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      requests.push(
        `${url.searchParams.get('watch') ? 'watch' : 'list'} rv=${url.searchParams.get('resourceVersion') ?? ''}`,
      );
      res.setHeader('Content-Type', 'application/json');
      if (!url.searchParams.get('watch')) {
        lists++;
        const items = lists === 1 ? [obj('a', '5'), obj('b', '6')] : [obj('b', '7'), obj('c', '8')];
        res.end(
          JSON.stringify({
            kind: 'DeploymentList',
            metadata: { resourceVersion: lists === 1 ? '10' : '20' },
            items,
          }),
        );
        return;
      }
      watches++;
      if (watches === 1) {
        // The watch window expired: the server says so in the stream (as kube-apiserver does).
        res.end(
          JSON.stringify({
            type: 'ERROR',
            object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' },
          }) + '\n',
        );
        return;
      }
      res.writeHead(200);
      res.flushHeaders();
      openWatch = (line) => res.write(line + '\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      {
        name: 'local',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
      { name: 'u' },
    );
    client = new KubeClient(kc);
  });

  afterAll(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('relists after 410 Gone, reports what changed meanwhile, and resumes watching from the new resourceVersion', async () => {
    const events: string[] = [];
    const inf = new Informer<KubeObject>(client, { kind: KINDS.Deployment, namespace: 'ns' });
    inf.addHandlers({
      onAdd: (o) => events.push(`add ${o.metadata.name}`),
      onUpdate: (o) => events.push(`update ${o.metadata.name}`),
      onDelete: (o) => events.push(`delete ${o.metadata.name}`),
    });
    inf.start();
    await inf.waitForSync();
    const deadline = Date.now() + 10_000;
    while (!openWatch && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(openWatch).toBeDefined();
    expect(events).toEqual(['add a', 'add b', 'update b', 'add c', 'delete a']);
    expect(requests).toEqual(['list rv=', 'watch rv=10', 'list rv=', 'watch rv=20']);
    expect(
      inf
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['b', 'c']);
    expect(inf.get('ns', 'b')?.kind).toBe('Deployment');

    openWatch!(JSON.stringify({ type: 'ADDED', object: obj('d', '21') }));
    openWatch!(JSON.stringify({ type: 'DELETED', object: obj('b', '22') }));
    const until = Date.now() + 5000;
    while (events.length < 7 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(events.slice(5)).toEqual(['add d', 'delete b']);
    expect(
      inf
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['c', 'd']);
    await inf.stop();
  });
});
