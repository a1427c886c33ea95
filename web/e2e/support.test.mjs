// The support chat in Telegram: Alice asks for help with her order from the
// Mini App, writes and sends a screenshot; the staff see it in the support
// group (the simulator's second chat pane) under a header naming her and
// her orders; a member who is not staff is ignored; Zoë (staff) replies and
// Alice reads the answer from the bot; Zoë refunds the order with /refund
// and the confirm button, and the chat says when Telegram confirmed it;
// alerts (a failed eSIM order refunded) appear in the same chat.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALICE, SLOW, TEST_TIMEOUT, apiGet, appFrame, chatItems, launchBrowser, openPlan, openSim, paySheet, screenshot, setFault, tapMainButton,
} from './helpers.mjs';

const ZOE = '6200000001'; // SUPPORT_STAFF_IDS in the sandbox
const MAX = '6200000002'; // in the group, not staff

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => {
  try {
    await setFault('esim_refuses', false);
  } finally {
    await browser?.close();
  }
});

async function buy(page, app, iso) {
  await openPlan(app, iso);
  await tapMainButton(page);
  const sheet = await paySheet(page);
  await sheet.locator('#pay-confirm').click();
}

// supportMessage is the last message of the support pane whose own text
// (not the quote of the message it replies to) contains text.
function supportMessage(page, text) {
  return page.locator('#support-log li').filter({ has: page.locator('p.caption', { hasText: text }) }).last();
}

async function writeAs(page, member, text, { replyTo = null } = {}) {
  await page.locator('#staff-user').selectOption(member);
  if (replyTo) await replyTo.locator('button.reply').click();
  await page.locator('#support-input').fill(text);
  await page.locator('#support-send').click();
}

test('support chat: relay both ways, staff only, refund with a confirm button, alerts', { timeout: TEST_TIMEOUT * 2 }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: ALICE });
  await page.setViewportSize({ width: 1720, height: 1000 });
  try {
    await page.locator('#support:not([hidden])').waitFor();
    await buy(page, app, 'GB');
    const order = app.locator('section.order[data-status="fulfilled"]');
    await order.waitFor({ timeout: SLOW });
    const orderId = await order.getAttribute('data-order-id');

    // "Help with this order" in the Mini App opens the bot chat with the
    // order attached (t.me/<bot>?start=help_<order id>).
    const help = app.locator('#help-order');
    await help.waitFor();
    assert.equal(await help.textContent(), 'Help with this order');
    await help.click();
    await page.locator('#chat-log li.bot').filter({ hasText: `Write your question about order ${orderId}` }).waitFor({ timeout: 30_000 });

    // Alice writes, then sends a screenshot. (The order id keeps this run's
    // messages apart in a sandbox that is used again.)
    const words = `My eSIM shows <No service> & no data in London (${orderId.slice(0, 8)})`;
    const photosBefore = await page.locator('#support-log li.kind-photo').count();
    await page.locator('#chat-input').fill(words);
    await page.locator('#chat-send').click();
    await page.locator('#chat-photo').click();
    const copy = supportMessage(page, words);
    await copy.waitFor({ timeout: 30_000 });
    await page.waitForFunction((n) => document.querySelectorAll('#support-log li.kind-photo img.chat-photo').length > n,
      photosBefore, { timeout: 30_000 });
    const header = supportMessage(page, `Asks about Order ${orderId}`);
    assert.match(await header.textContent(), /Alice Smith \(@alice\) · id 5079065042 · en/);
    assert.match(await header.textContent(), new RegExp(orderId));
    assert.match(await header.locator(`a[href*="/workflows/order-${orderId}"]`).first().getAttribute('href'), /namespaces\/default/);
    // The buyer was told where the answer comes.
    await page.locator('#chat-log li.bot').filter({ hasText: 'your message is with our support team' }).waitFor({ timeout: 30_000 });

    // Max is in the group but not staff: his reply goes nowhere.
    await writeAs(page, MAX, 'I am just a visitor', { replyTo: copy });
    await supportMessage(page, 'I am just a visitor').waitFor();
    // Zoë answers with a reply: Alice gets it from the bot.
    const answer = `Hi Alice! Please turn on data roaming in Settings (${orderId.slice(0, 8)}).`;
    await writeAs(page, ZOE, answer, { replyTo: copy });
    await page.locator('#chat-log li.bot').filter({ hasText: answer }).waitFor({ timeout: 30_000 });
    const buyerChat = (await chatItems(ALICE)).map((it) => it.text ?? '');
    assert.ok(!buyerChat.some((t) => t.includes('I am just a visitor')), 'a non-staff reply reached the buyer');
    await page.locator('#support-reply').waitFor({ state: 'hidden' });
    await screenshot(page, 'support-chat-relay');

    // /refund asks for confirmation; the button refunds through the workflow.
    await writeAs(page, ZOE, `/refund ${orderId} No coverage in London, sorry!`);
    const confirm = supportMessage(page, 'Reason for the buyer');
    await confirm.waitFor({ timeout: 30_000 });
    assert.match(await confirm.textContent(), new RegExp(`Refund \\d+ ⭐ to Alice Smith \\(@alice\\)\\?\\nOrder ${orderId}`));
    const button = page.locator('#support-log button.inline-button').filter({ hasText: 'Confirm refund of' }).last();
    await button.waitFor({ timeout: 30_000 });
    // Max's press does nothing.
    await page.locator('#staff-user').selectOption(MAX);
    await button.click();
    await page.locator('#events li').filter({ hasText: 'Max pressed' }).filter({ hasText: 'no answer' }).waitFor();
    await page.locator('#staff-user').selectOption(ZOE);
    await button.click();
    await page.locator('#events li').filter({ hasText: 'Zoë pressed' }).filter({ hasText: 'Refund requested.' }).waitFor();
    await supportMessage(page, 'Refund of order').waitFor({ timeout: 30_000 });
    await supportMessage(page, 'Refund confirmed by Telegram').waitFor({ timeout: SLOW });
    assert.match(await supportMessage(page, 'Refund confirmed by Telegram').textContent(), /Zoë Support \(@zoe_support\) tg:6200000001/);
    // The order view stopped polling at "fulfilled"; the API has the refund.
    const initData = await appFrame(page).evaluate(() => window.Telegram.WebApp.initData);
    assert.equal((await apiGet(`/api/orders/${orderId}`, initData)).body.status, 'refunded');
    await screenshot(page, 'support-chat-refund');

    // An order whose eSIM cannot be issued is refunded and raises an alert.
    await setFault('esim_refuses', true);
    await app.locator('#tab-catalogue').click();
    await buy(page, app, 'DE');
    await app.locator('section.order[data-status="refunded"]').waitFor({ timeout: SLOW });
    const failed = await app.locator('section.order[data-status="refunded"]').getAttribute('data-order-id');
    // (Other tests' alerts may be in the chat too: this one names the order.)
    const alert = page.locator('#support-log li')
      .filter({ has: page.locator('p.caption', { hasText: 'Refunded: the eSIM could not be issued' }) })
      .filter({ has: page.locator('p.caption', { hasText: `/order ${failed}` }) });
    await alert.waitFor({ timeout: SLOW });
    assert.match(await alert.locator(`a[href*="/workflows/order-${failed}"]`).getAttribute('href'), /namespaces\/default/);
    await screenshot(page, 'support-chat-alerts');
    await setFault('esim_refuses', false);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
