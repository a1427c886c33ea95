// Buying a plan end to end: catalogue → plan → MainButton → Stars sheet →
// pre-checkout through the store's webhook → eSIM delivered. The QR shown in
// the Mini App and the one sent to the chat must both decode to the LPA that
// GET /api/orders/{id} returns for the same initData.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALICE, SLOW, TEST_TIMEOUT, apiGet, appFrame, chatItems, decodeQR, fetchBytes, launchBrowser, openPlan, openSim, paySheet,
  qrFromImage, screenshot, setTheme, tapMainButton,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function expectDelivered(page, app) {
  const order = app.locator('section.order[data-status="fulfilled"]');
  await order.waitFor({ timeout: SLOW });
  const orderId = await order.getAttribute('data-order-id');
  await app.locator('img.qr:not([hidden])').waitFor({ timeout: 30_000 });
  const initData = await appFrame(page).evaluate(() => window.Telegram.WebApp.initData);
  const { status, body } = await apiGet(`/api/orders/${orderId}`, initData);
  assert.equal(status, 200);
  assert.equal(body.status, 'fulfilled');
  assert.match(body.esim.lpa, /^LPA:1\$[^$]+\$.+/);
  return { orderId, initData, lpa: body.esim.lpa, esim: body.esim };
}

test('Alice buys a plan and gets the QR in the Mini App and in the chat (light theme)', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: ALICE, theme: 'light', platform: 'ios' });
  try {
    await screenshot(page.locator('.phone'), 'catalogue-light');

    // Search narrows the destinations.
    await app.locator('#search').fill('king');
    await app.locator('button.row[data-iso="GB"]').waitFor();
    assert.equal(await app.locator('button.row[data-iso="JP"]').count(), 0);

    await openPlan(app, 'GB');
    const before = (await apiGet('/api/orders', await appFrame(page).evaluate(() => window.Telegram.WebApp.initData))).body;

    // A double tap must create one order and open one sheet.
    const mb = page.locator('#main-button');
    await mb.waitFor({ state: 'visible' });
    assert.match(await mb.textContent(), /⭐/);
    await mb.dblclick();
    const sheet = await paySheet(page);
    assert.match(await sheet.locator('.pay-amount').textContent(), /\d+ ⭐/);
    await screenshot(page, 'payment-sheet-light');
    await sheet.locator('#pay-confirm').click();

    const { orderId, lpa, initData, esim } = await expectDelivered(page, app);
    const afterOrders = (await apiGet('/api/orders', initData)).body;
    assert.equal(afterOrders.length, before.length + 1, 'the double tap created more than one order');
    assert.equal(afterOrders[0].order_id, orderId, 'GET /api/orders is newest first');

    // The QR the buyer sees decodes to the eSIM's LPA.
    assert.equal(decodeQR(await qrFromImage(appFrame(page), 'img.qr')), lpa);
    // Manual codes and one-tap links.
    assert.equal(await app.locator('#code-smdp').textContent(), esim.smdp_address);
    assert.equal(await app.locator('#code-activation').textContent(), esim.matching_id);
    assert.equal(await app.locator('a', { hasText: 'iPhone' }).getAttribute('href'),
      `https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=${encodeURIComponent(lpa)}`);
    assert.equal(await app.locator('a', { hasText: 'Android' }).getAttribute('href'),
      `https://esimsetup.android.com/esim_qrcode_provisioning?carddata=${lpa}`);
    await screenshot(page.locator('.phone'), 'delivered-light');
    await app.locator('button.copy').first().click();
    await app.locator('#toast:not([hidden])').waitFor();

    // The chat pane shows the bot's photo; one of the photos is this QR.
    await page.locator(`#chat-log li[data-kind="payment"][data-order-id="${orderId}"]`).waitFor({ timeout: SLOW });
    await page.locator('#chat-log img.chat-photo').first().waitFor({ timeout: SLOW });
    const photos = (await chatItems(ALICE)).filter((it) => it.kind === 'photo');
    const decoded = await Promise.all(photos.map(async (p) => decodeQR(await fetchBytes(p.photo_url))));
    assert.ok(decoded.includes(lpa), `no chat photo decodes to ${lpa}: ${decoded}`);
    await screenshot(page, 'chat-delivered');

    // My eSIMs lists it, and reopening it shows the QR again.
    await app.locator('#tab-orders').click();
    await app.locator(`button.row[data-order-id="${orderId}"][data-status="fulfilled"]`).click();
    await app.locator('img.qr:not([hidden])').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('cancel, then pay again, in the dark theme', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: ALICE, theme: 'light' });
  try {
    await setTheme(page, 'dark'); // theme_changed on the running app, no reload
    await screenshot(page.locator('.phone'), 'catalogue-dark');
    await openPlan(app, 'JP');
    await tapMainButton(page);
    let sheet = await paySheet(page);
    await screenshot(page, 'payment-sheet-dark');
    await sheet.locator('#pay-cancel').click();

    // Cancelled: the order still waits and the MainButton offers to pay it.
    await app.locator('.note', { hasText: 'cancelled' }).waitFor();
    await app.locator('section.order[data-status="awaiting_payment"]').waitFor();
    await tapMainButton(page);
    sheet = await paySheet(page);
    await sheet.locator('#pay-confirm').click();
    await expectDelivered(page, app);
    await screenshot(page.locator('.phone'), 'delivered-dark');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
