/** kmem's part of the summary: kernel memory still allocated at the end. */
import type { CaptureDb } from '../../analyze/db.js';
import type { SummaryPart } from '../family.js';

export async function kmemSummary(cap: CaptureDb): Promise<SummaryPart> {
  const [mem] = await cap.query<any>(`SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM allocations WHERE outstanding`);
  return {
    facts: [{ fact: 'outstanding kernel memory', value: `${mem.bytes} bytes in ${mem.count} allocations` }],
    json: { outstanding: { bytes: mem.bytes, count: mem.count } },
  };
}
