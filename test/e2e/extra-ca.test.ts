/**
 * NODE_EXTRA_CA_CERTS through the bin (dist/cli/ktape): the launcher starts Node without it (Node 20 would
 * parse it at every start) and ktape's own TLS connections add those certificates themselves
 * (ship/extra-ca.ts). An upload over https to a collector whose certificate only that extra CA signs
 * succeeds through the bin with the variable set, and fails without it. No privileges.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, ROOT, tmp } from '../helpers.js';
import { expectSameCapture, collected, tokenFile } from './ship.helpers.js';

const BIN = join(ROOT, 'dist/cli/ktape');
const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill('SIGKILL');
});

/** A CA and a server certificate for 127.0.0.1 that it signs (openssl). */
function certificates(d: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(d, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=ktape test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('srv.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('srv.pem'),
    '-days',
    '2',
    '-extfile',
    f('san.ext'),
  );
  return { ca: f('ca.pem'), cert: f('srv.pem'), key: f('srv.key') };
}

/** `ktape collect` over https on 127.0.0.1; resolves with its URL once it listens. */
function httpsCollector(dir: string, token: string, cert: string, key: string): Promise<string> {
  const p = spawn(process.execPath, [CLI, 'collect', '--listen', '127.0.0.1:0', '--dir', dir, '--token-file', token, '--cert', cert, '--key', key], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(p);
  let err = '';
  return new Promise((resolve, reject) => {
    p.stderr!.on('data', (c: Buffer) => {
      err += c;
      const m = /collecting on (https:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1]);
    });
    p.once('exit', (code) => reject(new Error(`collector exited (${code}): ${err}`)));
  });
}

describe('NODE_EXTRA_CA_CERTS through the bin', () => {
  it('ktape upload over https trusts the extra CA, which Node itself did not load', async () => {
    const d = tmp();
    const { ca, cert, key } = certificates(d);
    const tok = tokenFile(d);
    const url = await httpsCollector(join(d, 'coll'), tok, cert, key);
    const cap = join(d, 'cap');
    cpSync(join(FIXTURES, 'tiny'), cap, { recursive: true });
    chmodSync(cap, 0o700);
    const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
    const upload = (extra: NodeJS.ProcessEnv) =>
      spawnSync(BIN, ['upload', cap, url, '--token-file', tok, '--retry-for', '0.2'], { encoding: 'utf8', env: { ...env, ...extra } });
    const without = upload({});
    expect(without.status, 'the collector is signed by a CA Node does not know').not.toBe(0);
    const r = upload({ NODE_EXTRA_CA_CERTS: ca });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the capture is complete/);
    expectSameCapture(join(FIXTURES, 'tiny'), collected(join(d, 'coll')));
  });
});
