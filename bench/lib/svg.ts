// A small, dependency-free SVG of horizontal bar charts, readable at a glance.

export interface Bar {
  label: string;
  value: number;
  /** Shown after the bar, e.g. "512 ms (+300)". */
  note: string;
}

export interface Chart {
  title: string;
  bars: Bar[];
}

const WIDTH = 760;
const LABEL = 120;
const BAR_MAX = 430;
const ROW = 24;
const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Charts stacked vertically in one SVG document. */
export function barCharts(charts: readonly Chart[], caption: string): string {
  const parts: string[] = [];
  let y = 30;
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">${esc(caption)}</text>`);
  for (const chart of charts) {
    y += 16;
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(chart.title)}</text>`);
    y += 8;
    const max = Math.max(...chart.bars.map((bar) => (Number.isFinite(bar.value) ? bar.value : 0)), 1e-9);
    for (const bar of chart.bars) {
      const width = Number.isFinite(bar.value) ? Math.max(1, (bar.value / max) * BAR_MAX) : 0;
      const colour = bar.label === 'direct' ? '#888' : bar.label === 'srt' ? '#c77' : '#4a7';
      parts.push(
        `<text x="${LABEL - 6}" y="${y + 15}" font-size="12" text-anchor="end">${esc(bar.label)}</text>`,
        `<rect x="${LABEL}" y="${y + 4}" width="${width.toFixed(1)}" height="${ROW - 8}" fill="${colour}"/>`,
        `<text x="${(LABEL + width + 6).toFixed(1)}" y="${y + 15}" font-size="11">${esc(bar.note)}</text>`,
      );
      y += ROW;
    }
    y += 10;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}
