import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Debian's `chromium` package; null when absent. */
export function chromiumPath(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export interface RenderedChart {
  kind: string;
  width: number;
  height: number;
  marks: number;
}

export interface PageCheck {
  consoleErrors: string[];
  pageErrors: string[];
  /** Every URL the page asked for: a self-contained report asks only for itself. */
  requests: string[];
  title: string;
  charts: RenderedChart[];
  text: string;
  /** What `options.probe` returned. */
  probe?: unknown;
}

export interface RenderOptions {
  /** A script evaluated in the page (a string: this project compiles without the DOM library). */
  probe?: string;
  /** Where to save a full-page PNG, to look at. */
  screenshot?: string;
  /** The viewport's width in CSS px (default 1100), e.g. 390 for a phone. */
  width?: number;
}

/** Opens a file in headless Chromium and reports what rendered and what went wrong. */
export async function renderInChromium(file: string, options: RenderOptions = {}): Promise<PageCheck> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium is not installed: apt-get install -y chromium');
  const { chromium } = await import('playwright-core');
  // A fresh profile per run: nothing cached or remembered from another run can hide a problem.
  const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'wh-chromium-')), {
    executablePath,
    headless: true,
    viewport: { width: options.width ?? 1100, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const result: PageCheck = {
      consoleErrors: [],
      pageErrors: [],
      requests: [],
      title: '',
      charts: [],
      text: '',
    };
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') result.consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => result.pageErrors.push(err.message));
    page.on('request', (req) => result.requests.push(req.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    result.title = await page.title();
    // Runs in the page: written as a string because this project compiles without the DOM library.
    result.text = (await page.evaluate('document.body.innerText')) as string;
    // The charts on screen: a report draws some twice (for a wide screen and a phone) and hides one.
    result.charts =
      (await page.evaluate(`[...document.querySelectorAll('svg.chart')].filter((svg) => svg.getClientRects().length > 0).map((svg) => {
      const box = svg.getBoundingClientRect();
      // Marks that actually painted: a bar or a non-empty heatmap cell with an area on screen.
      const marks = [...svg.querySelectorAll('rect.bar, rect.cell:not(.zero)')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0;
      }).length;
      const kind = ([...svg.classList].find((c) => c.startsWith('chart-')) || '').slice(6);
      return { kind, width: box.width, height: box.height, marks };
    })`)) as RenderedChart[];
    if (options.probe) result.probe = await page.evaluate(options.probe);
    if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
    return result;
  } finally {
    await context.close();
  }
}
