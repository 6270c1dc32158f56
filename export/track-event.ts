/** One TrackEvent packet on ktape's own TrackEvent sequence (2), for the families' Perfetto exporters. */
import type { PerfettoContext } from './handlers.js';

/** write a TrackEvent (its fields: type, trackUuid, name, annotations, counter value...) at `ts` */
export function writeTrackEvent(ctx: PerfettoContext, ts: number | bigint, value: Record<string, unknown>): void {
  ctx.writePacket({
    timestamp: BigInt(ts),
    optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: 2 },
    sequenceFlags: ctx.trackSeqFlags(),
    data: { case: 'trackEvent', value },
  });
}
