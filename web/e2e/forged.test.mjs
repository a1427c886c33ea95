// initData whose signature does not match is refused by the API (401) and
// the Mini App explains it instead of failing silently.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, launchBrowser, openPlan, openSim, screenshot, tapMainButton } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('forged initData shows a sign-in error and cannot buy', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, context } = await openSim(browser, { user: 'forged' });
  try {
    const banner = app.locator('#banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /could not confirm who you are/);

    await openPlan(app, 'GB');
    await tapMainButton(page);
    const error = app.locator('section.plan .error-box');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.textContent(), /could not confirm who you are/);
    assert.equal(await page.locator('#pay-sheet').isVisible(), false, 'no payment sheet for a forged user');
    // The Buy button is usable again (not stuck in progress).
    assert.equal(await page.locator('#main-button').isDisabled(), false);
    await screenshot(page.locator('.phone'), 'forged-initdata');

    await app.locator('#tab-orders').click();
    await app.locator('.orders .error-box').waitFor();
  } finally {
    await context.close();
  }
});
