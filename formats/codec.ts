/**
 * Arrow IPC body compression (the codecs the Arrow format defines: ZSTD and
 * LZ4_FRAME), for the recorder and every reader of captures.
 *
 * The codecs are Debian's libzstd.so.1 (libzstd1) and liblz4.so.1 (liblz4-1),
 * called through koffi, which ktape already loads for libbpf: no new npm
 * dependency, no native build, the same library the `zstd` and `lz4` tools
 * use. One compression and one decompression context per codec are reused
 * for every buffer (a context per call costs more than compressing a small
 * buffer).
 *
 * Writing: formats/ipc-write.ts compresses each body buffer with compressInto(). Reading: formats/ipc.ts, which every reader of
 * a capture goes through, calls decompress() with the length the buffer
 * declares, after checking that length against the batch's layout.
 */
import { createRequire } from 'node:module';
import { CompressionType } from 'apache-arrow';
import { UnsupportedError, UsageError } from './errors.js';

/** The values of `ktape record --compress`. */
export const CODECS = ['zstd', 'lz4', 'none'] as const;
export type CodecName = (typeof CODECS)[number];
/** zstd level -1 (the first "fast" level): see formats/capture.md "Compression" for the measurements behind it */
export const DEFAULT_CODEC: CodecName = 'zstd';
export const ZSTD_LEVEL = -1;

/** Thrown for a compressed buffer that does not decompress to its declared length. */
export class CodecError extends Error {}

export function compressionType(c: CodecName): CompressionType | null {
  if (c === 'none') return null;
  return c === 'zstd' ? CompressionType.ZSTD : CompressionType.LZ4_FRAME;
}

export function codecName(t: CompressionType): CodecName {
  return t === CompressionType.ZSTD ? 'zstd' : 'lz4';
}

/** `--compress <c>`: a codec name, else a UsageError naming the flag. */
export function parseCodec(v: string): CodecName {
  if ((CODECS as readonly string[]).includes(v)) return v as CodecName;
  throw new UsageError(`--compress ${v}: must be one of ${CODECS.join(', ')}`);
}

type Koffi = typeof import('koffi');
/** koffi, loaded on first use: a reader of uncompressed captures never pays for it */
let koffiMod: Koffi | null = null;
const getKoffi = () => (koffiMod ??= createRequire(import.meta.url)('koffi') as Koffi);

function load(lib: string, pkg: string): ReturnType<Koffi['load']> {
  const koffi = getKoffi();
  try {
    return koffi.load(lib);
  } catch {
    throw new UnsupportedError('E_NO_CODEC', `${lib} not found: Arrow body compression needs it (Debian package ${pkg}; or record with --compress none)`);
  }
}

function bindZstd() {
  const l = load('libzstd.so.1', 'libzstd1');
  const koffi = getKoffi();
  koffi.opaque('ZSTD_CCtx');
  koffi.opaque('ZSTD_DCtx');
  const f = {
    bound: l.func('size_t ZSTD_compressBound(size_t n)'),
    isError: l.func('unsigned int ZSTD_isError(size_t code)'),
    errorName: l.func('const char *ZSTD_getErrorName(size_t code)'),
    createC: l.func('ZSTD_CCtx *ZSTD_createCCtx()'),
    createD: l.func('ZSTD_DCtx *ZSTD_createDCtx()'),
    compress: l.func('size_t ZSTD_compressCCtx(ZSTD_CCtx *c, uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int level)'),
    decompress: l.func('size_t ZSTD_decompressDCtx(ZSTD_DCtx *d, uint8_t *dst, size_t cap, const uint8_t *src, size_t n)'),
    contentSize: l.func('uint64_t ZSTD_getFrameContentSize(const uint8_t *src, size_t n)'),
  };
  return { ...f, cctx: f.createC(), dctx: f.createD() };
}

const LZ4F_VERSION = 100;
function bindLz4() {
  const l = load('liblz4.so.1', 'liblz4-1');
  const koffi = getKoffi();
  koffi.opaque('LZ4F_dctx');
  koffi.opaque('LZ4F_cctx');
  const frameInfo = koffi.struct('LZ4F_frameInfo_t', {
    blockSizeID: 'int',
    blockMode: 'int',
    contentChecksumFlag: 'int',
    frameType: 'int',
    contentSize: 'uint64_t',
    dictID: 'unsigned int',
    blockChecksumFlag: 'int',
  });
  koffi.struct('LZ4F_preferences_t', {
    frameInfo,
    compressionLevel: 'int',
    autoFlush: 'unsigned int',
    favorDecSpeed: 'unsigned int',
    reserved: koffi.array('unsigned int', 3),
  });
  const f = {
    bound: l.func('size_t LZ4F_compressFrameBound(size_t n, const LZ4F_preferences_t *p)'),
    isError: l.func('unsigned int LZ4F_isError(size_t code)'),
    errorName: l.func('const char *LZ4F_getErrorName(size_t code)'),
    createC: l.func('size_t LZ4F_createCompressionContext(_Out_ LZ4F_cctx **c, unsigned int version)'),
    compress: l.func(
      'size_t LZ4F_compressFrame_usingCDict(LZ4F_cctx *c, uint8_t *dst, size_t cap, const uint8_t *src, size_t n, void *dict, const LZ4F_preferences_t *p)',
    ),
    createD: l.func('size_t LZ4F_createDecompressionContext(_Out_ LZ4F_dctx **d, unsigned int version)'),
    reset: l.func('void LZ4F_resetDecompressionContext(LZ4F_dctx *d)'),
    decompress: l.func('size_t LZ4F_decompress(LZ4F_dctx *d, uint8_t *dst, _Inout_ size_t *dstSize, const uint8_t *src, _Inout_ size_t *srcSize, void *opts)'),
  };
  const c = [null],
    d = [null];
  if (f.isError(f.createC(c, LZ4F_VERSION)) || f.isError(f.createD(d, LZ4F_VERSION))) throw new Error('LZ4F context allocation failed');
  return { ...f, cctx: c[0], dctx: d[0] };
}

let zstd: ReturnType<typeof bindZstd> | null = null;
let lz4: ReturnType<typeof bindLz4> | null = null;
const getZstd = () => (zstd ??= bindZstd());
const getLz4 = () => (lz4 ??= bindLz4());

/** Bytes compressInto() may need for `n` input bytes. */
export function compressBound(t: CompressionType, n: number): number {
  return t === CompressionType.ZSTD ? Number(getZstd().bound(n)) : Number(getLz4().bound(n, lz4Prefs(n)));
}

/** Compress `src` into `dst` (at least compressBound() bytes) as one frame that declares its size; returns its length. */
export function compressInto(t: CompressionType, src: Uint8Array, dst: Uint8Array): number {
  if (t === CompressionType.ZSTD) {
    const z = getZstd();
    const n = z.compress(z.cctx, dst, dst.byteLength, src, src.byteLength, ZSTD_LEVEL);
    if (z.isError(n)) throw new Error(`zstd: ${z.errorName(n)}`);
    return Number(n);
  }
  const z = getLz4();
  const n = z.compress(z.cctx, dst, dst.byteLength, src, src.byteLength, null, lz4Prefs(src.byteLength));
  if (z.isError(n)) throw new Error(`lz4: ${z.errorName(n)}`);
  return Number(n);
}

function lz4Prefs(n: number) {
  return { frameInfo: { contentSize: n }, compressionLevel: 0 };
}

function zstdDecode(src: Uint8Array, size: number): Uint8Array {
  const z = getZstd();
  const declared = BigInt(z.contentSize(src, src.byteLength)); // koffi gives a number below 2^53
  // 2^64-1: unknown size (allowed; the exact-length check below still holds), 2^64-2: not a frame
  if (declared === 0xfffffffffffffffen) throw new CodecError('not a zstd frame');
  if (declared !== 0xffffffffffffffffn && declared !== BigInt(size)) throw new CodecError(`zstd frame holds ${declared} bytes, the buffer declares ${size}`);
  const dst = new Uint8Array(size);
  const n = z.decompress(z.dctx, dst, size, src, src.byteLength);
  if (z.isError(n)) throw new CodecError(`zstd: ${z.errorName(n)}`);
  if (Number(n) !== size) throw new CodecError(`zstd frame holds ${n} bytes, the buffer declares ${size}`);
  return dst;
}

function lz4Decode(src: Uint8Array, size: number): Uint8Array {
  const z = getLz4();
  const dst = new Uint8Array(size);
  const dstSize = [size],
    srcSize = [src.byteLength];
  const r = z.decompress(z.dctx, dst, dstSize, src, srcSize, null);
  if (z.isError(r)) {
    z.reset(z.dctx);
    throw new CodecError(`lz4: ${z.errorName(r)}`);
  }
  if (Number(r) !== 0 || Number(dstSize[0]) !== size || Number(srcSize[0]) !== src.byteLength) {
    z.reset(z.dctx);
    throw new CodecError(`lz4 frame does not decompress to the ${size} bytes the buffer declares`);
  }
  return dst;
}

/** Decompress one body buffer of `size` declared bytes (checked against the layout by the caller). */
export function decompress(t: CompressionType, src: Uint8Array, size: number): Uint8Array {
  return t === CompressionType.ZSTD ? zstdDecode(src, size) : lz4Decode(src, size);
}
