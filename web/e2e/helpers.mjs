// Shared set-up for the browser tests: Debian's Chromium driven by
// playwright-core (no browser download), the simulator page, and QR decoding.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

export const BASE = (process.env.E2E_BASE_URL ?? '').replace(/\/$/, '');
if (!BASE) throw new Error('E2E_BASE_URL is not set; run scripts/browser-test.sh, which starts the sandbox');

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? path.join(repoRoot, 'test-artifacts', 'screenshots');

// Long enough for a real Temporal workflow with retries; never a timing assertion.
export const SLOW = 90_000;
// A hung step fails its test instead of hanging `make test`.
export const TEST_TIMEOUT = 240_000;

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// The simulator's test users (internal/dev/sim): recent accounts have ids
// above 2^32, Boris keeps an old small one.
export const ALICE = '5079065042';
export const BORIS = '1002';
export const CAROL = '7301245889'; // no Stars

// openSim opens the simulator for a test user (ALICE, BORIS, CAROL or
// "forged") and waits until the Mini App inside has rendered its catalogue.
// version is the client's Bot API version (8.0, 7.0 or 6.1); startapp
// opens the app as a t.me/<bot>?startapp= link would, and ready then names
// what the app shows once it got there. before(context) runs before the
// page loads (to stub routes the app calls at start).
export async function openSim(browser, {
  user = ALICE, theme = 'light', platform = 'web', version = '8.0', startapp = '', ready = '.catalogue .rows', before, base = BASE,
} = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await before?.(context);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url ?? '';
    problems.push(`console: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  // Nothing may leave the sandbox: the simulator must never load telegram.org.
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['blob:', 'data:', 'about:'].includes(u.protocol)) {
      problems.push(`external request: ${req.url()}`);
    }
  });
  const query = new URLSearchParams({ user, theme, platform, version });
  if (startapp) query.set('startapp', startapp);
  await page.goto(`${base}/sim/?${query}`);
  const app = page.frameLocator('#app');
  await app.locator(ready).first().waitFor({ timeout: 30_000 });
  return { context, page, app, problems };
}

export function appFrame(page) {
  const frame = page.frames().find((f) => f.url().includes('/sim/app/'));
  if (!frame) throw new Error('Mini App frame not found');
  return frame;
}

export async function screenshot(target, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

export async function setTheme(page, theme) {
  await page.locator(`input[name="theme"][value="${theme}"]`).check();
  await page.frameLocator('#app').locator(`html[data-scheme="${theme}"]`).waitFor();
}

// openPlan goes catalogue → country → the cheapest plan's details.
export async function openPlan(app, iso = 'GB') {
  await app.locator('#tab-catalogue').click();
  await app.locator(`button.row[data-iso="${iso}"]`).click();
  await app.locator('button.plan-card').first().click();
  await app.locator('section.plan').waitFor();
}

export async function tapMainButton(page) {
  const b = page.locator('#main-button');
  await b.waitFor({ state: 'visible' });
  await b.click();
}

export async function paySheet(page) {
  const sheet = page.locator('#pay-sheet');
  await sheet.waitFor({ state: 'visible', timeout: 30_000 });
  return sheet;
}

export function decodeQR(pngBytes) {
  const png = PNG.sync.read(Buffer.from(pngBytes));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!code) throw new Error('no QR code found in the image');
  return code.data;
}

// qrFromImage reads an <img> as the browser shows it (via a canvas, which a
// blob: image of the same origin does not taint) and returns its PNG bytes.
export async function qrFromImage(frame, selector) {
  const dataURL = await frame.locator(selector).evaluate(async (img) => {
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    c.getContext('2d').drawImage(img, 0, 0);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataURL.split(',')[1], 'base64');
}

export async function apiGet(pathname, initData) {
  const res = await fetch(`${BASE}${pathname}`, { headers: initData ? { Authorization: `tma ${initData}` } : {} });
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
}

export async function setFault(name, on) {
  const res = await fetch(`${BASE}/sim/api/faults`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, on }),
  });
  if (!res.ok) throw new Error(`fault ${name}: ${res.status}`);
}

export async function chatItems(userId) {
  const res = await fetch(`${BASE}/sim/api/chat?user_id=${userId}`);
  return (await res.json()).items;
}

export async function fetchBytes(pathname) {
  const res = await fetch(`${BASE}${pathname}`);
  if (!res.ok) throw new Error(`GET ${pathname}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}
