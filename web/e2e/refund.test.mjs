// eSIM Go refuses the bundle → fulfilment fails for good → the workflow
// refunds the Stars. Boris uses the Russian UI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BORIS, SLOW, TEST_TIMEOUT, apiGet, appFrame, launchBrowser, openPlan, openSim, paySheet, screenshot, setFault, tapMainButton } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => {
  try {
    await setFault('esim_refuses', false);
  } finally {
    await browser?.close();
  }
});

test('a refused eSIM order is refunded and the Mini App says so (ru)', { timeout: TEST_TIMEOUT }, async () => {
  await setFault('esim_refuses', true);
  const { page, app, problems, context } = await openSim(browser, { user: BORIS });
  try {
    assert.equal(await app.locator('#tab-catalogue').textContent(), 'Каталог');
    assert.equal(await page.locator('#fault-esim_refuses').isChecked(), true);
    await openPlan(app, 'DE');
    await tapMainButton(page);
    const sheet = await paySheet(page);
    await sheet.locator('#pay-confirm').click();

    const order = app.locator('section.order[data-status="refunded"]');
    await order.waitFor({ timeout: SLOW });
    const orderId = await order.getAttribute('data-order-id');
    assert.match(await app.locator('#order-status').textContent(), /Возврат/);
    const initData = await appFrame(page).evaluate(() => window.Telegram.WebApp.initData);
    const { body } = await apiGet(`/api/orders/${orderId}`, initData);
    assert.equal(body.status, 'refunded');
    assert.ok(body.refund?.reason, 'refund reason missing');
    assert.equal(body.esim, undefined);
    await app.locator('.refund-reason').waitFor();
    // The reason is shown in the buyer's language, from its code.
    assert.equal(body.refund.code, 'refund_reason_esim');
    assert.match(await app.locator('.refund-reason').textContent(), /не удалось выпустить eSIM/);

    // The chat shows the refund service message, linked to the order's workflow.
    const refund = page.locator(`#chat-log li[data-kind="refund"][data-order-id="${orderId}"]`);
    await refund.waitFor({ timeout: SLOW });
    assert.match(await refund.locator('a.temporal').getAttribute('href'), new RegExp(`/namespaces/default/workflows/order-${orderId}$`));
    await screenshot(page, 'refunded');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
