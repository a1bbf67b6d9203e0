/**
 * Which endpoints the crawler may contact: a tiny IPv4/IPv6 CIDR matcher plus an explicit hostname list.
 * Nodes report each other's endpoints, so a hostile node could point the crawler at anything (cloud
 * metadata, an intranet admin page); the allow-list is checked before any connection is made.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Decides, from the URL alone and without any network I/O, whether it may be contacted. */
export type AllowFn = (url: URL) => boolean;

/** Loopback only: the safe default. Deployments list their overlay's networks explicitly. */
export const DEFAULT_ALLOWED_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

interface Cidr {
  v6: boolean;
  base: bigint;
  mask: bigint;
}

/** A dotted-quad IPv4 address as a 32-bit number, or undefined. */
export function parseIPv4(s: string): bigint | undefined {
  if (!isIPv4(s)) return undefined;
  let n = 0n;
  for (const part of s.split('.')) n = (n << 8n) | BigInt(Number(part));
  return n;
}

/** An IPv6 address (compressed, with or without an embedded dotted IPv4 tail) as a 128-bit number. */
export function parseIPv6(s: string): bigint | undefined {
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let text = s.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = parseIPv4(tail[1] ?? '');
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, tail.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(fill).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  return n;
}

function parseCidr(entry: string): Cidr | undefined {
  const slash = entry.indexOf('/');
  const addr = slash < 0 ? entry : entry.slice(0, slash);
  const v4 = parseIPv4(addr);
  const v6 = v4 === undefined ? parseIPv6(addr) : undefined;
  if (v4 === undefined && v6 === undefined) return undefined;
  const width = v4 !== undefined ? 32 : 128;
  const bitsText = slash < 0 ? String(width) : entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > width) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { v6: v4 === undefined, base: (v4 ?? v6 ?? 0n) & mask, mask };
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function isHostname(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((label) => LABEL.test(label));
}

/**
 * Builds an allow function from CIDR networks (`10.0.0.0/8`, `fd00::/8`), single addresses and
 * hostnames. Contract: only http: and https: URLs can be allowed; an IP-literal host is allowed when a
 * listed network contains it (an IPv4-mapped IPv6 address is also checked as IPv4); `localhost` is
 * allowed when a listed network contains 127.0.0.1 or ::1; any other hostname only when listed
 * exactly (case-insensitive; listing a hostname trusts what DNS says it resolves to). Throws an Error
 * naming the first entry that is neither a network nor a hostname.
 */
export function createAllowList(entries: readonly string[]): AllowFn {
  const v4: Cidr[] = [];
  const v6: Cidr[] = [];
  const hosts = new Set<string>();
  for (const raw of entries) {
    const entry = String(raw).trim();
    const cidr = parseCidr(entry);
    if (cidr) (cidr.v6 ? v6 : v4).push(cidr);
    else if (isHostname(entry)) hosts.add(entry.toLowerCase());
    else throw new Error(`allow-list: "${entry.slice(0, 64)}" is neither a CIDR network nor a hostname`);
  }
  const inV4 = (ip: bigint): boolean => v4.some((c) => (ip & c.mask) === c.base);
  const inV6 = (ip: bigint): boolean => v6.some((c) => (ip & c.mask) === c.base);
  const localhost = inV4(0x7f000001n) || inV6(1n);

  return (url: URL): boolean => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const host = url.hostname.toLowerCase();
    if (host.startsWith('[') && host.endsWith(']')) {
      const ip = parseIPv6(host.slice(1, -1));
      if (ip === undefined) return false;
      if (inV6(ip)) return true;
      return ip >> 32n === 0xffffn && inV4(ip & 0xffffffffn); // ::ffff:a.b.c.d
    }
    const ip = parseIPv4(host);
    if (ip !== undefined) return inV4(ip);
    if (host === 'localhost') return localhost || hosts.has(host);
    return hosts.has(host);
  };
}
