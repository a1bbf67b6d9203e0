/** CIDR allow-list and endpoint normalisation (with fast-check properties). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createAllowList, normalizeEndpoint } from '../../server/crawl/index.js';
import { parseIPv6 } from '../../server/crawl/allow-list.js';

const allowed = (entries: string[], url: string): boolean => createAllowList(entries)(new URL(url));

void test('IPv4 networks match by prefix, including /0 and /32', () => {
  assert.equal(allowed(['10.0.0.0/8'], 'http://10.255.1.2:80'), true);
  assert.equal(allowed(['10.0.0.0/8'], 'http://11.0.0.1'), false);
  assert.equal(allowed(['192.168.4.0/22'], 'http://192.168.7.255'), true);
  assert.equal(allowed(['192.168.4.0/22'], 'http://192.168.8.0'), false);
  assert.equal(allowed(['0.0.0.0/0'], 'http://8.8.8.8'), true);
  assert.equal(allowed(['10.1.2.3'], 'http://10.1.2.3:1'), true);
  assert.equal(allowed(['10.1.2.3/32'], 'http://10.1.2.4'), false);
  assert.equal(allowed(['127.0.0.0/8'], 'http://2130706433:9'), true, 'URL shorthand is normalised first');
  assert.equal(allowed(['127.0.0.0/8'], 'ftp://127.0.0.1'), false, 'only http(s)');
});

void test('IPv6 networks, loopback, and IPv4-mapped addresses checked as IPv4', () => {
  assert.equal(allowed(['::1/128'], 'http://[::1]:8080'), true);
  assert.equal(allowed(['fd00::/8'], 'http://[fd12:3456::1]'), true);
  assert.equal(allowed(['fd00::/8'], 'http://[fe80::1]'), false);
  assert.equal(allowed(['2001:db8::/32'], 'http://[2001:db8:ffff::1]'), true);
  assert.equal(allowed(['127.0.0.0/8'], 'http://[::ffff:127.0.0.1]'), true);
  assert.equal(allowed(['127.0.0.0/8'], 'http://[::ffff:10.1.2.3]'), false);
  assert.equal(allowed(['127.0.0.0/8'], 'http://[::1]'), false, 'v4 networks do not admit v6 loopback');
  assert.equal(parseIPv6('::ffff:1.2.3.4'), (0xffffn << 32n) | 0x01020304n);
  assert.equal(parseIPv6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  assert.equal(parseIPv6('::'), 0n);
});

void test('hostnames: localhost follows loopback; others only when listed', () => {
  assert.equal(allowed(['127.0.0.0/8'], 'http://localhost:1'), true);
  assert.equal(allowed(['::1'], 'http://LOCALHOST:1'), true);
  assert.equal(allowed(['10.0.0.0/8'], 'http://localhost:1'), false);
  assert.equal(allowed(['127.0.0.0/8'], 'http://evil.example'), false);
  assert.equal(allowed(['Node1.Example.org'], 'http://node1.example.ORG:80'), true);
  assert.equal(allowed(['node1.example.org'], 'http://node2.example.org'), false);
  assert.throws(() => createAllowList(['10.0.0.0/33']), /neither a CIDR/);
  assert.throws(() => createAllowList(['10.0.0.0/x']), /neither a CIDR/);
  assert.throws(() => createAllowList(['http://x']), /neither a CIDR/);
});

void test('endpoint normalisation: one spelling per endpoint', () => {
  const cases: [string, string | undefined][] = [
    ['HTTP://Node.Example:80/', 'http://node.example'],
    ['https://node.example:443/a/b/?q=1#f', 'https://node.example/a/b'],
    ['http://127.0.0.1:9003', 'http://127.0.0.1:9003'],
    ['http://[::1]:9003//', 'http://[::1]:9003'],
    ['http://0x7f.1:9/n/42/', 'http://127.0.0.1:9/n/42'],
    ['ftp://x', undefined],
    ['http://user:pw@x', undefined],
    ['not a url', undefined],
    ['', undefined],
    [`http://x/${'a'.repeat(2100)}`, undefined],
  ];
  for (const [input, want] of cases) assert.equal(normalizeEndpoint(input), want, input);
});

const host = fc.oneof(
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
);
const endpointParts = fc.record({
  scheme: fc.constantFrom('http', 'https'),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  path: fc.array(fc.webSegment(), { maxLength: 3 }),
});

void test('property: normalisation is idempotent and ignores case, trailing slash, query and fragment', () => {
  fc.assert(
    fc.property(endpointParts, fc.webQueryParameters(), fc.webFragments(), (p, q, f) => {
      const base = `${p.scheme}://${p.host}${p.port === undefined ? '' : `:${p.port}`}/${p.path.join('/')}`;
      const n = normalizeEndpoint(base);
      if (n === undefined) return; // e.g. a segment that does not survive URL parsing
      assert.equal(normalizeEndpoint(n), n, 'idempotent');
      assert.ok(!n.endsWith('/') && !n.includes('?') && !n.includes('#'));
      const variant = `${p.scheme.toUpperCase()}://${p.host.toUpperCase()}${p.port === undefined ? '' : `:${p.port}`}/${p.path.join('/')}//?${q}#${f}`;
      assert.equal(normalizeEndpoint(variant), n, variant);
    }),
    { numRuns: 500 },
  );
});

void test('property: dedupe by normalised endpoint keeps one entry per distinct endpoint', () => {
  fc.assert(
    fc.property(
      fc.array(endpointParts, { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (parts, picks) => {
        const bases = parts.map(
          (p) => `${p.scheme}://${p.host}${p.port === undefined ? '' : `:${p.port}`}/${p.path.join('/')}`,
        );
        const canon = new Set(bases.map(normalizeEndpoint).filter((x) => x !== undefined));
        const spellings = picks.flatMap((i) => {
          const b = bases[i % Math.max(1, bases.length)];
          return b === undefined ? [] : [b, `${b}/`, `${b}?x=${i}`, b.replace(/^http/, 'HTTP')];
        });
        const seen = new Set(spellings.map(normalizeEndpoint).filter((x) => x !== undefined));
        for (const s of seen) assert.ok(canon.has(s));
        assert.ok(seen.size <= canon.size);
      },
    ),
    { numRuns: 300 },
  );
});
