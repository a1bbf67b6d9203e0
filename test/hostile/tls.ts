/**
 * A self-signed certificate for the corpus' TLS cases: generated fresh with `openssl req -x509` into a
 * temp directory when openssl is installed, else the checked-in test-only pair in fixtures/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ONLY_CERT, TEST_ONLY_KEY } from './fixtures/self-signed.js';

export interface TestCert {
  key: string;
  cert: string;
  source: 'openssl' | 'fixture';
}

/** A self-signed P-256 certificate for 127.0.0.1; never throws (falls back to the fixture). */
export function selfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'rw-hostile-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore', timeout: 10_000 },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), source: 'openssl' };
  } catch {
    return { key: TEST_ONLY_KEY.trim(), cert: TEST_ONLY_CERT.trim(), source: 'fixture' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
