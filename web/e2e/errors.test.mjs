// The other failure paths a buyer can meet: Telegram refusing the payment
// (no Stars) and losing the connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, CAROL, TEST_TIMEOUT, launchBrowser, openPlan, openSim, paySheet, tapMainButton } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('a refused payment leaves the order payable and says why', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: CAROL }); // Carol has no Stars
  try {
    await openPlan(app, 'GB');
    await tapMainButton(page);
    const sheet = await paySheet(page);
    await sheet.locator('#pay-confirm').click();
    await sheet.locator('#pay-error', { hasText: 'Not enough Stars' }).waitFor();
    await sheet.locator('#pay-cancel').click(); // "Close" → invoiceClosed "failed"

    await app.locator('.note[data-invoice="failed"]').waitFor();
    await app.locator('section.order[data-status="awaiting_payment"]').waitFor();
    // The MainButton offers to pay the same order again, not a new one.
    assert.match(await page.locator('#main-button').textContent(), /Pay/);
    assert.equal(await page.locator('#main-button').isDisabled(), false);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('going offline is reported, and Buy explains it', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, context } = await openSim(browser, { user: ALICE });
  try {
    await openPlan(app, 'FR');
    await context.setOffline(true);
    await app.locator('#banner', { hasText: 'offline' }).waitFor();
    await tapMainButton(page);
    await app.locator('section.plan .error-box', { hasText: 'offline' }).waitFor();
    await context.setOffline(false);
    await app.locator('#banner').waitFor({ state: 'hidden' });
  } finally {
    await context.close();
  }
});
