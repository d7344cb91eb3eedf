/** The three WIDER precision-recall curves in one standalone SVG: axes, grid, and a legend with each setting's AP. */
import { type Setting, SETTINGS } from './ground-truth';
import type { PrCurve } from './protocol';

export interface PlotInput {
  curves: Record<Setting, PrCurve>;
  ap: Record<Setting, number>;
  title?: string;
}

const COLORS: Record<Setting, string> = { easy: '#1b9e77', medium: '#d95f02', hard: '#7570b3' };
const WIDTH = 640,
  HEIGHT = 520;
const MARGIN = { left: 70, right: 24, top: 48, bottom: 60 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

const x = (recall: number) => MARGIN.left + recall * PLOT_W;
const y = (precision: number) => MARGIN.top + (1 - precision) * PLOT_H;
const fmt = (v: number) => v.toFixed(1);

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** AP as a percentage with two decimals, or 'n/a'. */
export function formatAp(ap: number): string {
  return Number.isFinite(ap) ? (ap * 100).toFixed(2) : 'n/a';
}

export function prCurvesSvg({ curves, ap, title = 'WIDER FACE val: precision-recall' }: PlotInput): string {
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  );
  // Grid and tick labels every 0.1.
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    const stroke = i === 0 || i === 10 ? '#444' : '#e3e3e3';
    parts.push(
      `<line x1="${fmt(x(v))}" y1="${MARGIN.top}" x2="${fmt(x(v))}" y2="${MARGIN.top + PLOT_H}" stroke="${stroke}"/>`,
      `<line x1="${MARGIN.left}" y1="${fmt(y(v))}" x2="${MARGIN.left + PLOT_W}" y2="${fmt(y(v))}" stroke="${stroke}"/>`,
      `<text x="${fmt(x(v))}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle">${v.toFixed(1)}</text>`,
      `<text x="${MARGIN.left - 8}" y="${fmt(y(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 16}" text-anchor="middle" font-size="14">Recall</text>`,
    `<text transform="translate(20 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" font-size="14">Precision</text>`,
  );
  for (const setting of SETTINGS) {
    const { precision, recall } = curves[setting];
    // Thresholds where nothing was proposed have no precision; leave them out.
    const points = recall
      .map((r, i) => [r, precision[i]!] as const)
      .filter(([r, p]) => Number.isFinite(r) && Number.isFinite(p))
      .map(([r, p]) => `${fmt(x(r))},${fmt(y(p))}`);
    if (points.length > 0) {
      parts.push(`<polyline fill="none" stroke="${COLORS[setting]}" stroke-width="2" points="${points.join(' ')}"/>`);
    }
  }
  // Legend, bottom-left inside the plot where the curves rarely go.
  const lx = MARGIN.left + 16,
    ly = MARGIN.top + PLOT_H - 16 - 22 * SETTINGS.length;
  parts.push(
    `<rect x="${lx - 8}" y="${ly - 8}" width="190" height="${22 * SETTINGS.length + 10}" fill="white" stroke="#999"/>`,
  );
  SETTINGS.forEach((setting, i) => {
    const ry = ly + 22 * i;
    parts.push(
      `<line x1="${lx}" y1="${ry + 7}" x2="${lx + 26}" y2="${ry + 7}" stroke="${COLORS[setting]}" stroke-width="3"/>`,
      `<text x="${lx + 34}" y="${ry + 12}">${setting.padEnd(6)} AP ${formatAp(ap[setting])}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
