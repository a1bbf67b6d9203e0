/**
 * Corpus cases about how a node behaves on the wire (transport), who it claims to be (identity), where
 * its neighbour pointers lead (topology) and where it points the crawler (allow-list).
 */
import type { Status } from '../../node-agent/schema.js';
import { answer, ghostId, hostileId, statusDoc } from './builder.js';
import type { CaseBuilder } from './builder.js';
import type { HostileCase } from './corpus.js';
import { drip, httpServer, rawServer, sendBody, tlsServer } from './servers.js';
import type { TestCert } from './tls.js';

export interface NetworkCaseOptions {
  cert: TestCert;
  /** ID of the ring-member case: honest nodes list it as a ring neighbour, so it must sit between two. */
  ringMemberId: string;
  /** The honest node ID the impersonator answers with (with its own endpoint). */
  impersonatedId: string;
  /** The honest status the replayer serves verbatim (read at request time). */
  replayed: () => Status;
}

/** What the test needs besides the cases: the ghost neighbours and hits on the redirect target. */
export interface NetworkExtras {
  ghosts: { id: string; endpoint: string }[];
  decoyHits(): number;
}

const neighbour = (c: HostileCase) => ({ id: c.id, endpoint: c.endpoint });

export async function addTransportCases(b: CaseBuilder, o: NetworkCaseOptions): Promise<() => number> {
  await b.add(
    {
      name: 'slow-loris-headers',
      group: 'transport',
      behaviour: 'reads the request, then sends one header byte every 100 ms, forever',
      expect: { visit: 'timeout' },
      placement: 'ring-extra',
    },
    rawServer((socket, stats) => {
      socket.write('HTTP/1.1 200 OK\r\nx-slow: ');
      drip(socket, 'a', 100, stats);
    }),
  );
  await b.http(
    {
      name: 'endless-body',
      group: 'transport',
      behaviour: '200 and JSON headers, then one body byte every 50 ms, forever',
      expect: { visit: 'timeout' },
    },
    () => (_req, res, stats) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"schema":1,"pad":"');
      drip(res, ' ', 50, stats);
    },
  );
  await b.add(
    {
      name: 'accept-and-reset',
      group: 'transport',
      behaviour: 'accepts the connection and resets it (RST)',
      expect: { visit: 'reset' },
    },
    rawServer(
      () => undefined,
      (socket) => {
        socket.resetAndDestroy();
        return true;
      },
    ),
  );
  await b.add(
    {
      name: 'empty-reply',
      group: 'transport',
      behaviour: 'reads the request and closes without a byte',
      expect: { visit: 'reset' },
    },
    rawServer((socket) => socket.end()),
  );
  await b.add(
    {
      name: 'not-http',
      group: 'transport',
      behaviour: 'another service on another port: an SSH banner instead of HTTP',
      expect: { visit: 'protocol' },
    },
    rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\nInvalid SSH identification string.\r\n')),
  );
  await b.add(
    {
      name: 'closed-port',
      group: 'transport',
      behaviour: 'a loopback port nothing listens on (127.0.0.1:1)',
      expect: { visit: 'refused' },
    },
    'http://127.0.0.1:1',
  );
  await b.http(
    {
      name: 'http-500',
      group: 'transport',
      behaviour: 'answers 500 with an error body',
      expect: { visit: 'http_status', httpStatus: 500 },
    },
    answer(() => ({ error: { code: 'internal_error', message: 'boom' } }), 500),
  );
  await b.http(
    {
      name: 'redirect-301',
      group: 'transport',
      behaviour: '301 to the cloud metadata address',
      expect: { visit: 'redirect', httpStatus: 301 },
    },
    () => (_req, res) => {
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    },
  );
  let decoyHits = 0;
  const decoy = b.keep(
    await httpServer((_req, res) => {
      decoyHits++;
      sendBody(res, statusDoc(hostileId(0xfff), 'http://127.0.0.1:1'));
    }),
  );
  await b.http(
    {
      name: 'redirect-302',
      group: 'transport',
      behaviour: '302 to another loopback server that serves a valid status',
      expect: { visit: 'redirect', httpStatus: 302 },
    },
    () => (_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${decoy.port}/v1/status` });
      res.end();
    },
  );
  await b.add(
    {
      name: 'tls-self-signed',
      group: 'transport',
      behaviour: `https with a self-signed certificate (${o.cert.source})`,
      expect: { visit: 'tls' },
      placement: 'ring-extra',
      scheme: 'https',
    },
    tlsServer(o.cert, (_req, res) => sendBody(res, { schema: 1 })),
  );
  await b.add(
    {
      name: 'tls-plain-http',
      group: 'transport',
      behaviour: 'an https endpoint whose server answers in plain HTTP',
      expect: { visit: 'tls' },
      scheme: 'https',
    },
    rawServer(
      () => undefined,
      (socket) => {
        socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'));
        return true;
      },
    ),
  );
  await b.http(
    {
      name: 'ring-member-500',
      group: 'transport',
      behaviour: 'a ring member (honest neighbours list it as L1/L2/R1/R2) answering 500',
      expect: { visit: 'http_status', httpStatus: 500 },
      placement: 'ring-member',
      id: o.ringMemberId,
    },
    answer(() => ({ error: { code: 'internal_error', message: 'broken' } }), 500),
  );
  return () => decoyHits;
}

export async function addIdentityCases(b: CaseBuilder, o: NetworkCaseOptions): Promise<void> {
  await b.http(
    {
      name: 'impersonator',
      group: 'identity',
      behaviour: "answers with an honest node's ID (and its own endpoint)",
      expect: { visit: 'id_mismatch', findings: ['id_mismatch'], victimFindings: ['duplicate_id'] },
    },
    answer((s) => statusDoc(o.impersonatedId, s.endpoint)),
  );
  await b.http(
    {
      name: 'replayer',
      group: 'identity',
      behaviour: "serves an honest node's status verbatim (its ID and endpoint); the seed lists it",
      expect: { visit: 'id_mismatch', findings: ['id_mismatch'], victimFindings: ['duplicate_id'] },
      referrer: 0,
    },
    answer(() => o.replayed()),
  );
}

export async function addTopologyCases(b: CaseBuilder): Promise<{ id: string; endpoint: string }[]> {
  await b.http(
    {
      name: 'self-loop',
      group: 'topology',
      behaviour: 'live; L1 = R1 = itself',
      expect: { visit: 'ok', findings: ['off_ring'] },
    },
    answer((s) => statusDoc(s.id, s.endpoint, { ring: { left: [neighbour(s)], right: [neighbour(s)] } })),
  );
  const pair: HostileCase[] = [];
  for (const name of ['rogue-pair-a', 'rogue-pair-b']) {
    const twin = (s: HostileCase) => neighbour(pair.find((p) => p !== s)!);
    pair.push(
      await b.http(
        {
          name,
          group: 'topology',
          behaviour: 'live; with its twin it forms a 2-node ring outside the main ring',
          expect: { visit: 'ok', findings: ['off_ring'] },
        },
        answer((s) => statusDoc(s.id, s.endpoint, { ring: { left: [twin(s)], right: [twin(s)] } })),
      ),
    );
  }
  const ghosts = [
    { id: ghostId(1), endpoint: 'http://127.0.0.1:1/ghost/1' },
    { id: ghostId(2), endpoint: 'http://127.0.0.2:1' },
  ];
  await b.http(
    {
      name: 'ghost-neighbours',
      group: 'topology',
      behaviour: 'live; L1 and R1 name endpoints where nothing exists',
      expect: { visit: 'ok', findings: ['dead_neighbor', 'off_ring'] },
    },
    answer((s) => statusDoc(s.id, s.endpoint, { ring: { left: [ghosts[0]!], right: [ghosts[1]!] } })),
  );
  return ghosts;
}

/** Endpoints outside the seeds' networks (loopback): recorded not_allowed, never contacted. */
export const OUTSIDE_ENDPOINTS = [
  ['private-10', 'http://10.0.0.1:8080', 'an RFC 1918 address'],
  ['test-net', 'http://192.0.2.1', 'TEST-NET-1 (192.0.2.1)'],
  ['cloud-metadata', 'http://169.254.169.254', 'the link-local cloud metadata address'],
  ['ipv6-ula', 'http://[fd00::1]:8080', 'an IPv6 unique-local address'],
  ['mapped-ipv4', 'http://[::ffff:10.0.0.1]:8080', 'the IPv4-mapped IPv6 form of 10.0.0.1'],
  ['hostname', 'http://metadata.invalid', 'a host name not on the allow-list (no DNS lookup)'],
] as const;

export async function addAllowListCases(b: CaseBuilder): Promise<void> {
  for (const [name, endpoint, what] of OUTSIDE_ENDPOINTS) {
    await b.add(
      {
        name,
        group: 'allow-list',
        behaviour: `endpoint at ${what}`,
        expect: { visit: 'not_allowed' },
        placement: name === 'private-10' ? 'ring-extra' : 'connection',
      },
      endpoint,
    );
  }
}
