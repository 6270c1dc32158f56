/** `ktape collect` and `ktape upload`: shipping captures off the host (ship/PROTOCOL.md). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../formats/errors.js';
import { fmtBytes } from '../formats/units.js';
import { num } from './args.js';

/** SIZE: a decimal number of MiB, or with a K, M or G suffix (binary units): 512M, 2G. */
export function parseSize(flag: string, v: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMG]?)i?B?$/i.exec(v.trim());
  const mult: Record<string, number> = { '': 1 << 20, K: 1 << 10, M: 1 << 20, G: 1 << 30 };
  const bytes = m ? Math.floor(Number(m[1]) * mult[m[2].toUpperCase()]) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1 << 20)
    throw new UsageError(`${flag} ${v}: expected a size of at least 1 MiB, like 256M or 2G (a bare number is MiB)`);
  return bytes;
}

/** HOST:PORT (an IPv6 host in brackets) */
function parseListen(v: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : -1;
  if (!m || port > 65535) throw new UsageError(`--listen ${v}: expected HOST:PORT, like 0.0.0.0:7070 or 127.0.0.1:0`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code})`);
  }
}

const log = (line: string) => process.stderr.write(`ktape: ${line}\n`);

async function collect(opts: { listen: string; dir: string; tokenFile: string; cert?: string; key?: string; maxBody: number }): Promise<void> {
  const { readToken } = await import('../ship/token.js');
  const { Collector } = await import('../ship/collector.js');
  const listen = parseListen(opts.listen);
  if (!!opts.cert !== !!opts.key) throw new UsageError(`${opts.cert ? '--cert' : '--key'}: TLS needs both --cert and --key`);
  const tls = opts.cert ? { cert: readPem('--cert', opts.cert), key: readPem('--key', opts.key!) } : undefined;
  const c = new Collector({ ...listen, dir: opts.dir, token: readToken(opts.tokenFile), tls, maxBodyBytes: opts.maxBody, log });
  let addr: Awaited<ReturnType<typeof c.start>>;
  try {
    addr = await c.start();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`--listen ${opts.listen}: cannot listen (${err.code ?? err.message})`);
  }
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log(`collecting on ${tls ? 'https' : 'http'}://${host}:${addr.port} into ${opts.dir} (bodies up to ${fmtBytes(opts.maxBody)})`);
  await new Promise<void>((resolve) => {
    const stop = () => void c.stop().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function upload(cap: string, url: string, opts: { tokenFile: string; retryFor: number }): Promise<void> {
  const { readToken } = await import('../ship/token.js');
  const { Uploader, parseUploadUrl } = await import('../ship/uploader.js');
  const u = parseUploadUrl('URL', url);
  const token = readToken(opts.tokenFile);
  const { readManifest } = await import('../formats/reader.js');
  const manifest = readManifest(cap); // a capture, or a one-line error naming it
  await Uploader.hello(u, token);
  const up = new Uploader({ dir: cap, url: u, token, log });
  up.deadline = Date.now() + opts.retryFor * 1000;
  try {
    await up.round();
  } finally {
    up.close();
  }
  const what = manifest.complete ? 'complete' : 'incomplete (the recorder did not stop cleanly: every complete batch is there)';
  log(
    `uploaded ${cap} to ${u.href} as ${up.state.host}/${up.state.recording}: ${up.sent} messages sent, ${up.duplicates} the collector already had; the capture is ${what}`,
  );
}

export function registerShip(program: Command): void {
  program
    .command('collect')
    .description('receive captures from `ktape record --upload` / `ktape upload` and store them under DIR/HOST/RECORDING')
    .requiredOption('--listen <host:port>', 'address to listen on (port 0: any free port, printed)')
    .requiredOption('--dir <dir>', 'where the captures are written (made 0700)')
    .requiredOption('--token-file <file>', 'bearer token the recorders must send (a file of mode 0600)')
    .option('--cert <file>', 'TLS certificate (PEM): serve https')
    .option('--key <file>', 'TLS private key (PEM)')
    .option('--max-body <size>', 'largest request body (one Arrow batch)', (v: string) => parseSize('--max-body', v), 256 << 20)
    .action(collect);
  program
    .command('upload')
    .description('send a finished or crashed capture to a collector (resumes where an earlier upload stopped)')
    .argument('<capture>', 'capture directory')
    .argument('<url>', 'collector, http(s)://HOST:PORT')
    .requiredOption('--token-file <file>', 'bearer token (a file of mode 0600)')
    .option('--retry-for <secs>', 'keep retrying an unreachable collector this long', num('--retry-for', 0.1, 365 * 86400), 60)
    .action(upload);
}
