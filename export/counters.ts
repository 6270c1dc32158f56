/**
 * Per-group counter tracks for the families' Perfetto exporters: each group (a process, a device) gets a parent
 * track and under it one counter track per series; each row writes one point on each of them.
 */
import * as pb from '../formats/perfetto/gen/ktape_perfetto_pb.js';
import type { PerfettoContext, TrackOptions } from './handlers.js';
import { writeTrackEvent } from './track-event.js';

type Row = Record<string, any>;

/** one series: the row's column, the counter track's name and description, its unit */
export interface CounterSeries {
  readonly key: string;
  readonly name: string;
  readonly doc: string;
  readonly unit: NonNullable<TrackOptions['counter']>;
}

/** A group's parent track: made once, at the group's first row. */
export interface CounterGroup {
  key(r: Row): string | number;
  parent(ctx: PerfettoContext, r: Row): bigint;
}

/** a writer of rows (ts and the series' columns) as counter points, tracks made as groups appear */
export function counterTracks(ctx: PerfettoContext, group: CounterGroup, series: readonly CounterSeries[]): (r: Row) => void {
  const groups = new Map<string | number, bigint[]>();
  return (r) => {
    const k = group.key(r);
    let tracks = groups.get(k);
    if (!tracks) {
      const parent = group.parent(ctx, r);
      tracks = series.map((s) => ctx.track(s.name, s.doc, { parent, counter: s.unit }));
      groups.set(k, tracks);
    }
    for (let i = 0; i < series.length; i++) {
      const counterValueField = { case: 'counterValue', value: BigInt(r[series[i].key]) };
      writeTrackEvent(ctx, r.ts, { type: pb.TrackEvent_Type.COUNTER, trackUuid: tracks[i], counterValueField });
    }
  };
}
