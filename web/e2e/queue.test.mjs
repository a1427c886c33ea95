// A burst of purchases queues for eSIM Go's budget: a paid order's page says
// how many orders wait before it and about how long, in the buyer's
// language, instead of only spinning. The store's side (when GET
// /api/orders/{id} carries a queue) is tested in integration/queue_test.go;
// here the answer is stubbed at the network layer while the order is paid,
// so the shared sandbox's budget stays untouched for the other tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BORIS, SLOW, TEST_TIMEOUT, launchBrowser, openPlan, openSim, paySheet, screenshot, tapMainButton } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// queueOrders answers the order's polls as still being prepared, 37 paid
// orders ahead, until release() is called; then the real answers flow.
async function queueOrders(context) {
  let queued = true;
  await context.route(/\/api\/orders\/[^/]+$/, async (route) => {
    if (!queued || route.request().method() !== 'GET') return route.continue();
    const real = await route.fetch();
    const body = await real.json();
    if (body.status === 'awaiting_payment') return route.fulfill({ response: real, json: body });
    delete body.esim;
    await route.fulfill({ response: real, json: { ...body, status: 'fulfilling', queue: { ahead: 37, wait_seconds: 5 } } });
  });
  return () => { queued = false; };
}

const cases = [
  { name: 'en', user: ALICE, want: /Many orders right now: 37 orders ahead of yours, about 5 seconds\./ },
  { name: 'ru', user: BORIS, want: /Сейчас много заказов: перед вами 37 заказов, примерно 5 секунд\./ },
];

for (const c of cases) {
  test(`A queued purchase shows its place in the queue (${c.name})`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, app, problems, context } = await openSim(browser, { user: c.user });
    try {
      const release = await queueOrders(context);
      await openPlan(app, 'GB');
      await tapMainButton(page);
      await (await paySheet(page)).locator('#pay-confirm').click();
      const status = app.locator('section.order[data-status="fulfilling"] #order-status');
      await status.waitFor({ timeout: SLOW });
      await app.locator('#order-status', { hasText: c.want }).waitFor({ timeout: SLOW });
      if (c.name === 'en') await screenshot(page.locator('.phone'), 'queued-light');
      // The eSIM arrives once the queue has moved on.
      release();
      await app.locator('section.order[data-status="fulfilled"]').waitFor({ timeout: SLOW });
      assert.doesNotMatch(await app.locator('#order-status').textContent(), /ahead|перед вами/);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}
