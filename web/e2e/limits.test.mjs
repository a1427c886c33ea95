// The two 429s of the per-buyer limits, as the buyer reads them. The store's
// side (when it answers 429) is tested in integration/limits_test.go; here
// the answers are stubbed at the network layer so the main sandbox's limits
// stay untouched for the other tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BORIS, TEST_TIMEOUT, launchBrowser, openPlan, openSim, tapMainButton } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// refuseOrders answers the next order creations with the given 429.
async function refuseOrders(context, { code, message, retryAfter }) {
  await context.route('**/api/orders', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const headers = { 'Content-Type': 'application/json' };
    if (retryAfter) headers['Retry-After'] = String(retryAfter);
    await route.fulfill({ status: 429, headers, body: JSON.stringify({ error: code, message }) });
  });
}

const cases = [
  {
    name: 'too many unpaid orders (en)', user: ALICE,
    answer: { code: 'too_many_open_orders', message: 'You already have 10 unpaid orders.' },
    want: /too many unpaid orders.*My eSIMs/,
  },
  {
    name: 'too many unpaid orders (ru)', user: BORIS,
    answer: { code: 'too_many_open_orders', message: 'You already have 10 unpaid orders.' },
    want: /слишком много неоплаченных заказов.*Мои eSIM/,
  },
  {
    name: 'rate limited with Retry-After (en)', user: ALICE,
    answer: { code: 'rate_limited', message: 'Too many requests.', retryAfter: 7 },
    want: /wait 7 seconds/,
  },
  {
    name: 'rate limited with Retry-After (ru)', user: BORIS,
    answer: { code: 'rate_limited', message: 'Too many requests.', retryAfter: 5 },
    want: /Подождите 5 секунд /,
  },
];

for (const c of cases) {
  test(`Buy explains a 429: ${c.name}`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, app, problems, context } = await openSim(browser, { user: c.user });
    try {
      await refuseOrders(context, c.answer);
      await openPlan(app, 'GB');
      await tapMainButton(page);
      const box = app.locator('section.plan .error-box');
      await box.waitFor();
      assert.match(await box.textContent(), c.want);
      // The buyer stays on the plan and can try again.
      assert.equal(await page.locator('#main-button').isDisabled(), false);
      assert.deepEqual(problems.filter((p) => !p.includes('429')), []);
    } finally {
      await context.close();
    }
  });
}
