/** Format versions ("major.minor") compared as numbers. */
export function versionLess(a: string, b: string): boolean {
  const [am, an] = String(a).split('.').map(Number),
    [bm, bn] = b.split('.').map(Number);
  return am < bm || (am === bm && an < bn);
}
