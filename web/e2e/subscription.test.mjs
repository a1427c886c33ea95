// A monthly subscription end to end: plan → "Subscribe monthly" (Telegram's
// SecondaryButton beside Buy) → Stars sheet (a subscription link) → the
// eSIM's QR; a renewal played by the
// simulator tops up the same eSIM; "My eSIMs" shows the subscription with
// its QR, and cancelling it (after a "keep it" answer first) shows it
// cancelled and stops Telegram's renewals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALICE, BASE, BORIS, SLOW, TEST_TIMEOUT, apiGet, appFrame, chatItems, decodeQR, launchBrowser, openPlan, openSim, paySheet,
  qrFromImage, screenshot,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// eventually polls fn until it returns a truthy value, or fails with the
// last value seen once the deadline has passed.
async function eventually(what, fn, { timeout = SLOW, every = 500 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`${what}: still not true after ${timeout} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function subscriptionOf(initData, id) {
  const { status, body } = await apiGet('/api/subscriptions', initData);
  assert.equal(status, 200);
  return body.find((s) => s.subscription_id === id);
}

test('Alice subscribes monthly, a renewal tops up the same eSIM, and she cancels from My eSIMs', { timeout: TEST_TIMEOUT }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: ALICE, theme: 'light', platform: 'android' });
  try {
    const initData = await appFrame(page).evaluate(() => window.Telegram.WebApp.initData);
    const subsBefore = (await apiGet('/api/subscriptions', initData)).body;

    await openPlan(app, 'GB');
    const subscribe = page.locator('#secondary-button');
    await subscribe.waitFor();
    assert.match(await subscribe.textContent(), /Subscribe monthly · \d+ ⭐/);
    assert.equal(await app.locator('#subscribe').count(), 0, 'the offer is in Telegram\'s bottom bar, not twice');
    await screenshot(page.locator('.phone'), 'plan-subscribe');

    // Progress while the subscription is being created: hold the request a
    // moment so that the busy state can be seen, then let it through.
    let release;
    const held = new Promise((r) => { release = r; });
    let posts = 0;
    await context.route('**/api/subscriptions', async (route) => {
      if (route.request().method() === 'POST') {
        posts += 1;
        await held;
      }
      await route.continue();
    });
    // A double tap creates one subscription and opens one sheet.
    await subscribe.dblclick();
    await page.locator('#secondary-button[aria-busy="true"]:disabled').waitFor();
    assert.equal(await page.locator('#main-button').isDisabled(), true, 'Buy stays tappable while subscribing');
    release();
    const sheet = await paySheet(page);
    assert.match(await sheet.locator('.pay-amount').textContent(), /\d+ ⭐/);
    await sheet.locator('#pay-confirm').click();
    await context.unroute('**/api/subscriptions');
    assert.equal(posts, 1, 'the double tap sent more than one POST /api/subscriptions');

    // The first payment delivers a new eSIM, shown like a purchase.
    const order = app.locator('section.order[data-subscription="true"][data-status="fulfilled"]');
    await order.waitFor({ timeout: SLOW });
    const subId = await order.getAttribute('data-order-id');
    await app.locator('section.order img.qr:not([hidden])').waitFor({ timeout: 30_000 });
    const { body: first } = await apiGet(`/api/orders/${subId}`, initData);
    assert.equal(first.status, 'fulfilled');
    const lpa = first.esim.lpa;
    assert.equal(decodeQR(await qrFromImage(appFrame(page), 'section.order img.qr')), lpa);
    const subsAfter = (await apiGet('/api/subscriptions', initData)).body;
    assert.equal(subsAfter.length, subsBefore.length + 1, 'the double tap created more than one subscription');
    const sub = await eventually('subscription active', async () => {
      const s = await subscriptionOf(initData, subId);
      return s?.status === 'active' && s.iccid && s;
    });
    assert.equal(sub.iccid, first.esim.iccid);
    assert.equal(sub.periods, 1);
    assert.ok(sub.expires_at, 'an active subscription has its paid-until date');
    await screenshot(page.locator('.phone'), 'subscription-delivered');

    // My eSIMs is open when Telegram's monthly charge comes: it follows by
    // itself, without the buyer reopening the tab.
    await app.locator('#tab-orders').click();
    const card = app.locator(`article.subscription[data-subscription-id="${subId}"]`);
    await card.waitFor({ timeout: 30_000 });
    assert.match(await card.locator('.sub-meta').textContent(), /1 month paid/);

    // The simulator renews it (Telegram's charge 30 days later): the same
    // eSIM is topped up and the bot says so in the chat.
    const renew = page.locator(`#subscriptions li[data-subscription-id="${subId}"] button.renew`);
    await renew.waitFor({ timeout: 30_000 });
    await renew.click();
    await eventually('renewal recorded', async () => (await subscriptionOf(initData, subId))?.periods === 2);
    const renewed = await subscriptionOf(initData, subId);
    assert.equal(renewed.iccid, sub.iccid, 'a renewal must top up the same eSIM');
    assert.equal(renewed.status, 'active');
    const notice = await eventually('renewal notice in the chat', async () => (await chatItems(ALICE))
      .find((it) => it.from_bot && it.kind === 'text' && it.text.includes(sub.iccid) && /renew/i.test(it.text)));
    assert.ok(notice);
    const payments = (await chatItems(ALICE)).filter((it) => it.kind === 'payment' && it.order_id === subId);
    assert.equal(payments.length, 2, 'first payment and one renewal');
    await page.locator(`#subscriptions li[data-subscription-id="${subId}"]`, { hasText: '2 charges' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'subscription-renewed');

    // My eSIMs, still open: the renewal shows, with its renewal date and the
    // QR again; its first period is not listed a second time among the
    // purchases.
    await card.locator('.sub-meta', { hasText: /2 months paid/ }).waitFor({ timeout: 40_000 });
    assert.equal(await card.getAttribute('data-status'), 'active');
    assert.match(await card.locator('.badge').textContent(), /Active/);
    assert.match(await card.locator('.sub-when').textContent(), /Next renewal: .+/);
    assert.match(await card.locator('.sub-meta').textContent(), new RegExp(`2 months paid.*${sub.iccid}`));
    await card.locator('img.sub-qr:not([hidden])').waitFor({ timeout: 30_000 });
    assert.equal(decodeQR(await qrFromImage(appFrame(page), `article.subscription[data-subscription-id="${subId}"] img.sub-qr`)), lpa);
    assert.equal(await app.locator(`button.row[data-order-id="${subId}"]`).count(), 0);
    await screenshot(page.locator('.phone'), 'my-esims-subscription');

    // Without Telegram's popup the app asks in the page; "Keep it" keeps it.
    await appFrame(page).evaluate(() => { window.__showConfirm = window.Telegram.WebApp.showConfirm; window.Telegram.WebApp.showConfirm = undefined; });
    await card.locator('button.cancel-subscription').click();
    await card.locator('.confirm-box:not([hidden]) button.confirm-no').click();
    assert.equal(await card.locator('.confirm-box').isHidden(), true);
    assert.equal((await subscriptionOf(initData, subId)).status, 'active');
    await appFrame(page).evaluate(() => { window.Telegram.WebApp.showConfirm = window.__showConfirm; });

    // In Telegram: showConfirm. "Cancel" in the popup changes nothing…
    await card.locator('button.cancel-subscription').click();
    const popup = page.locator('#popup');
    await popup.waitFor({ state: 'visible' });
    assert.match(await popup.locator('#popup-message').textContent(), /Cancel your subscription/);
    await popup.locator('button[data-type="cancel"]').click();
    await popup.waitFor({ state: 'hidden' });
    assert.equal(await card.getAttribute('data-status'), 'active');

    // …"OK" cancels: the card shows it and Telegram renews no more.
    await card.locator('button.cancel-subscription').click();
    await popup.waitFor({ state: 'visible' });
    await screenshot(page, 'subscription-cancel-confirm');
    await popup.locator('button[data-button-id="ok"]').click();
    await app.locator(`article.subscription[data-subscription-id="${subId}"][data-status="canceled"]`).waitFor({ timeout: SLOW });
    assert.match(await card.locator('.badge').textContent(), /Cancelled/);
    assert.match(await card.locator('.sub-when').textContent(), /No more renewals/);
    assert.equal(await card.locator('button.cancel-subscription').count(), 0);
    assert.equal((await subscriptionOf(initData, subId)).status, 'canceled');
    await screenshot(page.locator('.phone'), 'subscription-cancelled');

    // Reopening My eSIMs reads the same state back from the server.
    await app.locator('#tab-catalogue').click();
    await app.locator('#tab-orders').click();
    await app.locator(`article.subscription[data-subscription-id="${subId}"][data-status="canceled"]`).waitFor({ timeout: 30_000 });

    const res = await fetch(`${BASE}/sim/api/renew`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ subscription_id: subId }),
    });
    assert.equal(res.status, 409, 'Telegram must not renew a subscription the bot cancelled');
    await page.locator(`#subscriptions li[data-subscription-id="${subId}"] button.renew:disabled`).waitFor({ timeout: 10_000 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the subscription offer is translated (ru), and in the page where Telegram has no SecondaryButton', { timeout: TEST_TIMEOUT }, async () => {
  for (const version of ['8.0', '7.0']) {
    const { page, app, problems, context } = await openSim(browser, { user: BORIS, version });
    try {
      await openPlan(app, 'DE');
      const offer = version === '8.0' ? page.locator('#secondary-button') : app.locator('#subscribe');
      await offer.waitFor();
      assert.match(await offer.textContent(), /^Подписка · \d+ ⭐ за 30 дней$/);
      assert.equal(await page.locator('#secondary-button').isVisible(), version === '8.0');
      assert.match(await app.locator('#subscribe-hint').textContent(), /той же eSIM/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
  const { app, problems, context } = await openSim(browser, { user: BORIS });
  try {
    await app.locator('#tab-orders').click();
    await app.locator('section.orders h1', { hasText: 'Мои eSIM' }).waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
