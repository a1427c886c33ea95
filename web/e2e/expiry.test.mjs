// An expired price: the buyer waits past INVOICE_TTL with the payment sheet
// open. Telegram's pre-checkout is refused with a clear message, no Stars
// move, and the Mini App offers to buy again at a fresh price. Runs against
// a second sandbox whose INVOICE_TTL is a few seconds (scripts/browser-test.sh).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, TEST_TIMEOUT, SLOW, launchBrowser, openPlan, openSim, paySheet, tapMainButton } from './helpers.mjs';

const SHORT = (process.env.E2E_SHORT_TTL_URL ?? '').replace(/\/$/, '');
if (!SHORT) throw new Error('E2E_SHORT_TTL_URL is not set; run scripts/browser-test.sh');

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('an expired quote is refused at payment and the Mini App offers a fresh price', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: ALICE, base: SHORT });
  try {
    await openPlan(app, 'GB');
    await tapMainButton(page);
    const sheet = await paySheet(page);
    const order = app.locator('section.order');
    await order.waitFor();
    const orderId = await order.getAttribute('data-order-id');

    // The order expires while the sheet is open.
    await app.locator('section.order[data-status="expired"]').waitFor({ timeout: SLOW });
    await sheet.locator('#pay-confirm').click();
    await sheet.locator('#pay-error', { hasText: 'expired' }).waitFor({ timeout: 30_000 });
    await sheet.locator('#pay-cancel').click();

    assert.match(await app.locator('#order-status').textContent(), /expired/i);
    // Buy again starts a new order at the current price.
    assert.match(await page.locator('#main-button').textContent(), /Buy again/i);
    const res = await fetch(`${SHORT}/sim/api/chat?user_id=${ALICE}`);
    const items = (await res.json()).items ?? [];
    assert.equal(items.filter((i) => i.kind === 'photo').length, 0, 'no eSIM may be delivered');
    // Buy again shows the plan with its current price; buying makes a new order.
    await tapMainButton(page);
    await app.locator('section.plan').waitFor();
    await tapMainButton(page);
    await app.locator(`section.order[data-status="awaiting_payment"]:not([data-order-id="${orderId}"])`).waitFor({ timeout: 30_000 });
    await (await paySheet(page)).locator('#pay-cancel').click();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
