/** A small grouped bar chart as SVG text (no dependencies), for docs/performance.md. */
export function barChartSvg(o: { title: string; groups: ReadonlyArray<{ label: string; values: readonly number[] }>; series: readonly string[] }): string {
  const colors = ['#2b7bb9', '#d9822b', '#8c8c8c', '#5aa05a'];
  const width = 760;
  const left = 210;
  const barH = 16;
  const gap = 14;
  const groupH = o.series.length * barH + gap;
  const top = 48;
  const height = top + o.groups.length * groupH + 30 + o.series.length * 18;
  const max = Math.max(1, ...o.groups.flatMap((g) => g.values));
  const scale = (v: number) => ((width - left - 90) * v) / max;
  const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="24" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  o.groups.forEach((g, gi) => {
    const y0 = top + gi * groupH;
    parts.push(`<text x="10" y="${y0 + (o.series.length * barH) / 2 + 4}">${esc(g.label)}</text>`);
    g.values.forEach((v, si) => {
      const y = y0 + si * barH;
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, scale(v)).toFixed(1)}" height="${barH - 3}" fill="${colors[si % colors.length]}"/>`);
      parts.push(`<text x="${(left + scale(v) + 6).toFixed(1)}" y="${y + barH - 5}">${v.toLocaleString('en-US')}</text>`);
    });
  });
  const ly = top + o.groups.length * groupH + 10;
  o.series.forEach((s, si) => {
    parts.push(`<rect x="${left}" y="${ly + si * 18}" width="12" height="12" fill="${colors[si % colors.length]}"/>`);
    parts.push(`<text x="${left + 18}" y="${ly + si * 18 + 10}">${esc(s)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
