/** Throughput vs batch size, one line per series, as a standalone SVG. */

export interface Series {
  label: string;
  points: { batch: number; imagesPerSecond: number }[];
}

const COLORS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02'];
const W = 720,
  H = 440,
  M = { left: 70, right: 220, top: 48, bottom: 56 };

const escape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function throughputChart(series: Series[], title: string): string {
  const batches = [...new Set(series.flatMap((s) => s.points.map((p) => p.batch)))].sort((a, b) => a - b);
  const maxY = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.imagesPerSecond))) * 1.1;
  const plotW = W - M.left - M.right,
    plotH = H - M.top - M.bottom;
  // Batch sizes on a log2 axis, evenly spaced when they are powers apart.
  const logs = batches.map((b) => Math.log2(b));
  const [lo, hi] = [Math.min(...logs), Math.max(...logs)];
  const x = (b: number) => M.left + (hi === lo ? plotW / 2 : ((Math.log2(b) - lo) / (hi - lo)) * plotW);
  const y = (v: number) => M.top + plotH - (v / maxY) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left + plotW / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (maxY / 5) * i;
    out.push(
      `<line x1="${M.left}" y1="${y(v).toFixed(1)}" x2="${M.left + plotW}" y2="${y(v).toFixed(1)}" stroke="${i ? '#e3e3e3' : '#444'}"/>`,
      `<text x="${M.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`,
    );
  }
  for (const b of batches) {
    out.push(`<text x="${x(b).toFixed(1)}" y="${M.top + plotH + 20}" text-anchor="middle">${b}</text>`);
  }
  out.push(
    `<text x="${M.left + plotW / 2}" y="${H - 14}" text-anchor="middle" font-size="14">batch size</text>`,
    `<text transform="translate(20 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="14">images / s</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map((p) => `${x(p.batch).toFixed(1)},${y(p.imagesPerSecond).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${pts.join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3.5" fill="${color}"/>`);
    const ly = M.top + 10 + i * 22;
    out.push(
      `<line x1="${W - M.right + 16}" y1="${ly}" x2="${W - M.right + 40}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${W - M.right + 46}" y="${ly + 4}">${escape(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
