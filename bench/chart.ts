/**
 * The latency-over-time chart: an SVG drawn here (pure, testable), rendered to PNG by the Chromium the
 * end-to-end proof already uses, so no charting or image library is needed.
 */
import * as fs from 'fs';
import { chromium } from 'playwright-core';

export interface Series {
  readonly name: string;
  readonly color: string;
  /** [seconds since the load started, latency in ms] */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 1000;
const HEIGHT = 520;
const MARGIN = { left: 70, right: 20, top: 60, bottom: 50 };

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 1.5, 2, 3, 4, 5, 6, 8, 10].map((m) => m * magnitude).find((m) => m >= value)!;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

export function latencySvg(title: string, series: readonly Series[]): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error('the chart needs at least one point');
  const xMax = niceMax(Math.max(...all.map(([x]) => x)));
  const yMax = niceMax(Math.max(...all.map(([, y]) => y)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number) => MARGIN.left + (v / xMax) * plotW;
  const y = (v: number) => MARGIN.top + plotH - (v / yMax) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks.map((t) => [
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t * yMax)}" y2="${y(t * yMax)}" stroke="#ddd"/>`,
    `<text x="${MARGIN.left - 8}" y="${y(t * yMax) + 4}" text-anchor="end">${Math.round(t * yMax)}</text>`,
    `<text x="${x(t * xMax)}" y="${HEIGHT - MARGIN.bottom + 20}" text-anchor="middle">${Math.round(t * xMax)}</text>`,
  ].join(''));
  const dots = series.map((s) => s.points.map(([px, py]) => `<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="1.6" fill="${s.color}" fill-opacity="0.6"/>`).join(''));
  const legend = series.map((s, i) => `<rect x="${MARGIN.left}" y="${10 + i * 18}" width="12" height="12" fill="${s.color}"/><text x="${MARGIN.left + 18}" y="${20 + i * 18}">${escapeXml(s.name)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle">seconds since the load started</text>`,
    `<text transform="translate(16 ${HEIGHT / 2}) rotate(-90)" text-anchor="middle">produce → row visible (ms)</text>`,
    `<text x="${WIDTH - MARGIN.right}" y="22" text-anchor="end" font-weight="bold">${escapeXml(title)}</text>`,
    ...grid,
    ...dots,
    ...legend,
    '</svg>',
  ].join('\n');
}

/** Writes the SVG and a PNG screenshot of it. */
export async function writeChart(svg: string, pngPath: string, chromiumPath: string): Promise<void> {
  fs.writeFileSync(pngPath.replace(/\.png$/, '.svg'), svg);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: pngPath, clip: { x: 0, y: 0, width: WIDTH, height: HEIGHT } });
  } finally {
    await browser.close();
  }
}
