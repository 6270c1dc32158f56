/**
 * `ktape collect` and `ktape upload` through the built CLI, no privileges: a fixture capture shipped to a
 * collector on 127.0.0.1 arrives byte for byte and analyzes the same; a crashed capture, a collector
 * killed with a torn append, a collector that lost a file and an upload without its state file all end
 * with the same bytes, nothing twice; crafted requests (no or wrong token, path traversal, hostile names,
 * oversized or corrupted bodies, out-of-order messages) are refused and write nothing.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, appendFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ktape, tmp } from '../helpers.js';
import { analyzed, collected, expectSameCapture, ktapeAsync, raw, startCollector, tokenFile, type RunningCollector } from './ship.helpers.js';

const EOS = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const digest = (b: Uint8Array) => `sha-256=:${createHash('sha256').update(b).digest('base64')}:`;
const running: RunningCollector[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop('SIGKILL');
});
async function collector(dir: string, token: string, extra: string[] = []): Promise<RunningCollector> {
  const c = await startCollector(dir, token, 0, extra);
  running.push(c);
  return c;
}

/** A private copy of fixtures/tiny (an upload writes its state file into the capture). */
function copyTiny(to: string): string {
  cpSync(join(FIXTURES, 'tiny'), to, { recursive: true });
  chmodSync(to, 0o700);
  return to;
}

/** A copy of fixtures/tiny as a recorder killed -9 leaves it: no end-of-stream markers, manifest not complete. */
function crashedCopy(to: string): void {
  cpSync(join(FIXTURES, 'tiny'), to, { recursive: true });
  chmodSync(to, 0o700);
  for (const f of readdirSync(to).filter((f) => f.endsWith('.arrows'))) {
    const b = readFileSync(join(to, f));
    expect(b.subarray(-8).equals(EOS), f).toBe(true);
    truncateSync(join(to, f), b.byteLength - 8);
  }
  const m = JSON.parse(readFileSync(join(to, 'manifest.json'), 'utf8'));
  writeFileSync(join(to, 'manifest.json'), JSON.stringify({ ...m, complete: false, end_ts: null, tables: {}, summary: null }));
}

describe('ktape upload to ktape collect', () => {
  it('ships a capture byte for byte; analyze gives the same report; files 0600 in 0700 dirs', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const c = await collector(join(d, 'coll'), tok);
    const cap = copyTiny(join(d, 'cap'));
    const r = ktape(['upload', cap, c.url, '--token-file', tok]);
    expect(r.stderr).toMatch(/messages sent, 0 the collector already had; the capture is complete/);
    expect(r.status).toBe(0);
    const remote = collected(join(d, 'coll'));
    expectSameCapture(join(FIXTURES, 'tiny'), remote);
    const { statSync } = await import('node:fs');
    for (const p of [join(d, 'coll'), join(remote, '..'), remote]) expect(statSync(p).mode & 0o777, p).toBe(0o700);
    for (const f of readdirSync(remote)) expect(statSync(join(remote, f)).mode & 0o777, f).toBe(0o600);
    for (const report of ['summary', 'cpu', 'syscalls']) expect(analyzed(remote, report)).toBe(analyzed(cap, report));
  });

  it('a crashed capture, then a torn append and a lost file at a restarted collector, then the rest: same bytes, nothing twice', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const cap = join(d, 'cap');
    crashedCopy(cap);
    const coll = join(d, 'coll');
    let c = await collector(coll, tok);
    let r = ktape(['upload', cap, c.url, '--token-file', tok]);
    expect(r.stderr).toMatch(/the capture is incomplete/);
    expect(r.status).toBe(0);
    const remote = collected(coll);
    expectSameCapture(cap, remote);
    expect(analyzed(remote)).toBe(analyzed(cap));
    // the collector dies in the middle of an append to one file, and another file is lost
    await c.stop('SIGKILL');
    appendFileSync(join(remote, 'sched_switch.0000.arrows'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x40, 0, 0, 0, 1, 2, 3]));
    rmSync(join(remote, 'syscall_enter.0000.arrows'));
    c = await collector(coll, tok);
    // the recorder's files get the rest of what it wrote (here: the end of each stream and the final manifest)
    cpSync(join(FIXTURES, 'tiny'), cap, { recursive: true });
    r = ktape(['upload', cap, c.url, '--token-file', tok]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the capture is complete/);
    expectSameCapture(join(FIXTURES, 'tiny'), remote);
    // a state file that claims more than the collector holds: the collector's count wins
    await c.stop('SIGKILL');
    rmSync(coll, { recursive: true });
    c = await collector(coll, tok);
    r = ktape(['upload', cap, c.url, '--token-file', tok]);
    expect(r.status, r.stderr).toBe(0);
    expectSameCapture(join(FIXTURES, 'tiny'), collected(coll));
    // without its state file the upload resends everything: all acked as already there, nothing stored twice
    rmSync(join(cap, '.ktape-upload.json'));
    r = ktape(['upload', cap, c.url, '--token-file', tok]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/: 0 messages sent, [1-9]\d* the collector already had/);
    expectSameCapture(join(FIXTURES, 'tiny'), collected(coll));
  });

  it('through a proxy that corrupts, duplicates and replays stale requests: same bytes, nothing twice', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const c = await collector(join(d, 'coll'), tok);
    const seen: { path: string; body: Buffer; headers: Record<string, string> }[] = [];
    let n = 0;
    const counts = { corrupted: 0, duplicated: 0, replayed: 0 };
    const forward = (path: string, body: Buffer | null, headers: Record<string, string>, method = 'PUT') => raw(c.port, method, path, body, headers);
    const proxy = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (b: Buffer) => parts.push(b));
      req.on('end', async () => {
        const body = Buffer.concat(parts);
        const headers = Object.fromEntries(
          ['authorization', 'content-digest', 'ktape-seq'].filter((h) => req.headers[h]).map((h) => [h, String(req.headers[h])]),
        );
        let out: { status: number; json: any };
        if (req.method !== 'PUT') out = await forward(String(req.url), null, headers, String(req.method));
        else {
          const k = n++;
          if (k % 7 === 6 && seen.length) {
            const old = seen[k % seen.length]; // a stale request arrives late
            await forward(old.path, old.body, old.headers);
            counts.replayed++;
          }
          if (k % 5 === 1 && body.byteLength > 0) {
            const bad = Buffer.from(body);
            bad[bad.byteLength >> 1] ^= 0x20; // corrupted in flight
            out = await forward(String(req.url), bad, headers);
            counts.corrupted++;
          } else {
            out = await forward(String(req.url), body, headers);
            if (k % 3 === 0) {
              out = await forward(String(req.url), body, headers); // delivered twice
              counts.duplicated++;
            }
          }
          seen.push({ path: String(req.url), body, headers });
        }
        res.writeHead(out.status, { 'content-type': 'application/json' });
        res.end(typeof out.json === 'string' ? out.json : JSON.stringify(out.json));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    try {
      const cap = copyTiny(join(d, 'cap'));
      const r = await ktapeAsync(['upload', cap, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, '--token-file', tok]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/does not match its Content-Digest.*; retrying/);
      expect(counts.corrupted).toBeGreaterThan(3);
      expect(counts.duplicated).toBeGreaterThan(3);
      expect(counts.replayed).toBeGreaterThan(3);
      expectSameCapture(cap, collected(join(d, 'coll')));
    } finally {
      proxy.close();
    }
  });

  it('two recorders at once: each recording in its own directory, byte for byte', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const coll = join(d, 'coll');
    const c = await collector(coll, tok);
    const caps = ['tiny', 'demo'].map((n) => {
      const to = join(d, n);
      cpSync(join(FIXTURES, n), to, { recursive: true });
      chmodSync(to, 0o700);
      return to;
    });
    const rs = await Promise.all(caps.map((cap) => ktapeAsync(['upload', cap, c.url, '--token-file', tok])));
    for (const r of rs) expect(r.status, r.stderr).toBe(0);
    const recordings = readdirSync(coll).flatMap((h) => readdirSync(join(coll, h)).map((r) => join(coll, h, r)));
    expect(recordings).toHaveLength(2);
    for (const cap of caps) {
      const id = JSON.parse(readFileSync(join(cap, '.ktape-upload.json'), 'utf8'));
      expectSameCapture(cap, join(coll, id.host, id.recording));
    }
  });

  it('an unreachable collector: a one-line error after --retry-for, exit 1', () => {
    const d = tmp();
    const r = ktape(['upload', copyTiny(join(d, 'cap')), 'http://127.0.0.1:9', '--token-file', tokenFile(d), '--retry-for', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/cannot reach the collector/);
  });
});

describe('ktape collect refuses', () => {
  const schema = (file: string) => {
    const b = readFileSync(join(FIXTURES, 'tiny', file));
    return b.subarray(0, 8 + b.readInt32LE(4));
  };

  it('a missing or wrong token: 401, nothing written; ktape upload says so in one line, exit 2', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const coll = join(d, 'coll');
    const c = await collector(coll, tok);
    const body = schema('losses.0000.arrows');
    const h = { 'content-digest': digest(body), 'ktape-seq': '0' };
    expect((await raw(c.port, 'PUT', '/v1/h/r/losses.0000.arrows', body, h)).status).toBe(401);
    expect((await raw(c.port, 'PUT', '/v1/h/r/losses.0000.arrows', body, { ...h, authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    expect(readdirSync(coll)).toEqual([]);
    const r = ktape(['upload', copyTiny(join(d, 'cap')), c.url, '--token-file', tokenFile(d, 'other')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/the collector refused the token \(401/);
    expect(readdirSync(coll)).toEqual([]);
  });

  it('path traversal and hostile names, oversized and corrupted bodies: refused, nothing written', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const coll = join(d, 'coll');
    const c = await collector(coll, tok, ['--max-body', '1M']);
    const auth = { authorization: `Bearer ${readFileSync(tok, 'utf8').trim()}` };
    const body = schema('losses.0000.arrows');
    const h = { ...auth, 'content-digest': digest(body), 'ktape-seq': '0' };
    for (const path of [
      '/v1/../../etc/losses.0000.arrows',
      '/v1/h/r/../../losses.0000.arrows',
      '/v1/../r/losses.0000.arrows',
      '/v1/h/../losses.0000.arrows',
      '/v1/..%2f..%2ftmp/r/losses.0000.arrows',
      '/v1/.h/r/losses.0000.arrows',
      '/v1/h/r/..%2flosses.0000.arrows',
      '/v1/h/r/.ktape-upload.json',
      '/v1/h/r/Losses.0000.arrows',
      '/v1/h/r/losses.0000.arrows/x',
      '/v1/h/r/x.arrows',
      '/v1/h/r',
    ]) {
      const res = await raw(c.port, 'PUT', path, body, h);
      expect([400, 404, 405], path).toContain(res.status);
      expect(typeof res.json.error, path).toBe('string');
    }
    const big = Buffer.alloc(2 << 20);
    expect((await raw(c.port, 'PUT', '/v1/h/r/losses.0000.arrows', big, { ...h, 'content-digest': digest(big) })).status).toBe(413);
    const bad = Buffer.from(body);
    bad[bad.length - 1] ^= 1;
    const mismatch = await raw(c.port, 'PUT', '/v1/h/r/losses.0000.arrows', bad, h);
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.error).toMatch(/Content-Digest/);
    expect(readdirSync(coll)).toEqual([]);
    expect(existsSync(join(d, 'losses.0000.arrows'))).toBe(false);
  });

  it('out of order: 409 with the expected message; a resend is stored once; not Arrow or another table: 400', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const coll = join(d, 'coll');
    const c = await collector(coll, tok);
    const auth = { authorization: `Bearer ${readFileSync(tok, 'utf8').trim()}` };
    const put = (file: string, seq: number, body: Uint8Array) =>
      raw(c.port, 'PUT', `/v1/h/r/${file}`, body, { ...auth, 'content-digest': digest(body), 'ktape-seq': String(seq) });
    const s = schema('losses.0000.arrows');
    expect((await put('losses.0000.arrows', 1, EOS)).json).toMatchObject({ expected: 0 });
    expect((await put('losses.0000.arrows', 0, s)).json).toEqual({ stored: true, next: 1 });
    expect((await put('losses.0000.arrows', 0, s)).json).toEqual({ stored: false, next: 1 });
    const gap = await put('losses.0000.arrows', 3, EOS);
    expect(gap.status).toBe(409);
    expect(gap.json.expected).toBe(1);
    expect((await put('losses.0000.arrows', 1, Buffer.from('not arrow at all'))).status).toBe(400);
    expect((await put('stats.0000.arrows', 0, s)).json.error).toMatch(/schema of table "losses"/);
    expect((await put('losses.0000.arrows', 1, EOS)).json).toEqual({ stored: true, next: 2 });
    expect(readFileSync(join(coll, 'h', 'r', 'losses.0000.arrows')).equals(Buffer.concat([s, EOS]))).toBe(true);
    const m = Buffer.from('{"format": "not-ktape"}');
    expect((await raw(c.port, 'PUT', '/v1/h/r/manifest.json', m, { ...auth, 'content-digest': digest(m) })).status).toBe(400);
  });

  it('ktape record: --upload flags checked before recording (one line, exit 2)', () => {
    const d = tmp();
    const tok = tokenFile(d);
    const cases: [string[], RegExp][] = [
      [['--token-file', tok], /--token-file: only meaningful with --upload URL/],
      [['--upload', 'http://127.0.0.1:9'], /--upload: needs --token-file FILE/],
      [['--upload', 'ftp://h/', '--token-file', tok], /--upload ftp:\/\/h\/: the collector is reached over http:\/\/ or https:\/\//],
      [['--upload', 'http://127.0.0.1:9', '--token-file', tok, '--spool-max', '10K'], /--spool-max 10K: expected a size of at least 1 MiB/],
    ];
    for (const [args, re] of cases) {
      const r = ktape(['record', '-o', join(d, 'never'), ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
      expect(existsSync(join(d, 'never'))).toBe(false);
    }
  });

  it('a token file others can read: one line, exit 2', () => {
    const d = tmp();
    const tok = tokenFile(d);
    chmodSync(tok, 0o644);
    const r = ktape(['collect', '--listen', '127.0.0.1:0', '--dir', join(d, 'coll'), '--token-file', tok]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--token-file .*mode 644 lets others read the token; it must be 0600/);
  });
});
