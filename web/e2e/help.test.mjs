// Help before the purchase: Telegram's Settings item opens the FAQ (and an
// in-page button does in clients without it), startapp links open the app
// where they point, and the buyer's recent countries come first in the
// catalogue, from Telegram's CloudStorage across launches.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BASE, BORIS, CAROL, TEST_TIMEOUT, launchBrowser, openSim, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function cloud(userId, method, params) {
  const res = await fetch(`${BASE}/sim/api/cloudstorage`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user_id: Number(userId), method, params }),
  });
  assert.equal(res.status, 200);
  return res.json();
}

const cases = [
  {
    user: ALICE, theme: 'light', name: 'help-light',
    want: [/Is my phone eSIM-capable\?/, /Dial \*#06#\. If the screen shows an EID/, /iPhone: Settings → General → About/,
      /Android: Settings → About phone/, /unlocked/],
    internet: /turn on data roaming for this eSIM, and choose it for mobile data/, terms: /digital goods/,
  },
  {
    user: BORIS, theme: 'dark', name: 'help-dark',
    want: [/Поддерживает ли мой телефон eSIM\?/, /Наберите \*#06#\. Если на экране есть EID/, /iPhone: Настройки → Основные → Об этом устройстве/,
      /Android: Настройки → О телефоне/, /без привязки к оператору/],
    internet: /включите для этой eSIM роуминг данных и выберите её для мобильного интернета/, terms: /цифровой товар/,
  },
];

for (const c of cases) {
  test(`Telegram's Settings item opens Help (${c.name})`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, app, problems, context } = await openSim(browser, { user: c.user, theme: c.theme });
    try {
      // The client shows the item; the page has no button of its own then.
      const settings = page.locator('#settings-button');
      await settings.waitFor({ state: 'visible' });
      assert.equal(await app.locator('#help-button').isVisible(), false);
      await settings.click();
      const help = app.locator('section.help');
      await help.waitFor();
      // Settings again while Help is open does not stack a second copy.
      await settings.click();
      await page.locator('#back-button').waitFor({ state: 'visible' });

      await help.locator('#faq-compatible summary').click();
      const compatible = await help.locator('#faq-compatible').textContent();
      for (const w of c.want) assert.match(compatible, w);
      await help.locator('#faq-internet summary').click();
      assert.match(await help.locator('#faq-internet').textContent(), c.internet);
      assert.match(await help.locator('.terms').textContent(), c.terms);
      await help.locator('#faq-internet summary').click();
      await help.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page.locator('.phone'), c.name);

      await page.locator('#back-button').click();
      await app.locator('section.catalogue').waitFor();
      assert.equal(await page.locator('#back-button').isVisible(), false, 'Help was opened twice');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test('an older client without the Settings item gets a Help button, and recent countries on this device', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: CAROL, version: '6.1' });
  try {
    assert.equal(await page.locator('#settings-button').isVisible(), false);
    const button = app.locator('#help-button');
    await button.waitFor({ state: 'visible' });
    assert.equal(await button.textContent(), 'Help');
    await button.click();
    await app.locator('section.help #faq-compatible').waitFor();
    await page.locator('#back-button').click();

    // No CloudStorage in 6.1: the countries are kept in this browser.
    await app.locator('button.row[data-iso="FR"]').click();
    await app.locator('section.country[data-iso="FR"]').waitFor();
    await page.locator('#back-button').click();
    await app.locator('.rows.recent button[data-recent-iso="FR"]').waitFor();
    assert.equal(await page.frameLocator('#app').locator('body').evaluate(() => localStorage.getItem('recent_countries')), 'FR');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('recent countries come first, newest first, from CloudStorage in the next launch', { timeout: TEST_TIMEOUT }, async () => {
  await cloud(CAROL, 'deleteStorageValues', { keys: ['recent_countries'] });
  let { page, app, problems, context } = await openSim(browser, { user: CAROL });
  try {
    assert.equal(await app.locator('.rows.recent').count(), 0, 'no recent countries yet');
    for (const iso of ['JP', 'DE', 'JP', 'GB']) {
      await app.locator(`.catalogue button.row[data-iso="${iso}"]`).click();
      await app.locator(`section.country[data-iso="${iso}"]`).waitFor();
      await page.locator('#back-button').click();
      await app.locator('section.catalogue').waitFor();
    }
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }

  // Another launch, another browser: the list comes from Telegram's cloud.
  ({ page, app, problems, context } = await openSim(browser, { user: CAROL, theme: 'dark' }));
  try {
    const recent = app.locator('.rows.recent button');
    await recent.first().waitFor();
    assert.deepEqual(await recent.evaluateAll((bs) => bs.map((b) => b.dataset.recentIso)), ['GB', 'JP', 'DE']);
    assert.deepEqual((await cloud(CAROL, 'getStorageValues', { keys: ['recent_countries'] })).result, { recent_countries: 'GB,JP,DE' });
    // The section heads the catalogue and steps aside while searching.
    assert.equal(await app.locator('.catalogue h2').first().textContent(), 'Recent');
    await app.locator('#search').fill('jap');
    await app.locator('.rows.recent').waitFor({ state: 'detached' });
    await app.locator('#search').fill('');
    await recent.first().click();
    await app.locator('section.country[data-iso="GB"]').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('startapp=GB opens the country; Back leads to the catalogue', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: BORIS, startapp: 'GB', ready: 'section.country[data-iso="GB"]' });
  try {
    assert.match(await app.locator('section.country h1').textContent(), /Великобритания/);
    await page.locator('#back-button').click();
    await app.locator('section.catalogue .rows').first().waitFor();
    // The parameter is signed into initData, as Telegram does for a link.
    const startParam = await page.frameLocator('#app').locator('body').evaluate(() => window.Telegram.WebApp.initDataUnsafe.start_param);
    assert.equal(startParam, 'GB');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a startapp naming nothing known leaves the buyer on the catalogue', { timeout: TEST_TIMEOUT }, async () => {
  for (const startapp of ['ZZ', 'plan_nope', 'esim_']) {
    const { page, app, problems, context } = await openSim(browser, { user: ALICE, startapp });
    try {
      await app.locator('section.catalogue').waitFor();
      assert.equal(await page.locator('#back-button').isVisible(), false);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
});
