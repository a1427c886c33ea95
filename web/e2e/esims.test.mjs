// My eSIMs after the sale: a card per eSIM with its install state and what
// is left of each plan, Install while it is not installed, and Top up with
// the purchase's invoice flow. The first test is the whole story on the
// sandbox: buy, install on the (simulated) phone, use 80 %, the bot's alert,
// its Top up button, pay, the new total. The others stub GET /api/esims at
// the network layer to show every state a card can be in, around a real
// purchase whose QR the Install button must show.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALICE, BORIS, SLOW, TEST_TIMEOUT, apiGet, appFrame, chatItems, decodeQR, launchBrowser, openPlan, openSim, paySheet, qrFromImage,
  screenshot, tapMainButton,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const DAY = 86_400_000;
const at = (days) => new Date(Date.now() + days * DAY).toISOString();

// shortDate is the Mini App's "14 Jan" (format.js), for the expectations.
function shortDate(iso, lang) {
  const d = new Date(iso);
  const opts = { day: 'numeric', month: 'short' };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat(lang, opts).format(d);
}

// ICCIDs of eSIM Go's shape (19 digits) for the eSIMs that exist only in
// the stub; the first card is the buyer's real eSIM.
const INSTALLED = '8944500102198304826';
const USED_UP = '8944500102198304833';
const REMOVED = '8944500102198304840';
const TOP_UP_ORDER = '3f1c9a4e-8b2d-4e6f-a1c3-5d7e9f0b2a64';

function cards(real) {
  return [
    {
      iccid: real.iccid, install_state: 'not_installed', order_ids: [real.orderId],
      bundles: [{ name: 'esim_1GB_7D_GB_V2', initial_bytes: 1e9, remaining_bytes: 1e9, unlimited: false, starts_at: null, ends_at: null, state: 'queued' }],
    },
    {
      iccid: INSTALLED, install_state: 'installed', order_ids: [TOP_UP_ORDER, '9d2e7c1b-4a6f-4c3e-8b5d-2f1a0e9c8b77'],
      bundles: [
        { name: 'esim_3GB_30D_GB_V2', initial_bytes: 3e9, remaining_bytes: 2.1e9, unlimited: false, starts_at: at(-5), ends_at: at(25), state: 'active' },
        { name: 'esim_ULE_7D_GB_V2', initial_bytes: 0, remaining_bytes: 0, unlimited: true, starts_at: null, ends_at: null, state: 'queued' },
      ],
    },
    {
      iccid: USED_UP, install_state: 'installed', order_ids: ['c4b3a291-7e6d-4f5c-9b8a-1d2e3f4a5b6c'],
      bundles: [{ name: 'esim_5GB_30D_REUP_V2', initial_bytes: 5e9, remaining_bytes: 0, unlimited: false, starts_at: at(-20), ends_at: at(10), state: 'depleted' }],
    },
    {
      iccid: REMOVED, install_state: 'removed', order_ids: ['e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9'],
      bundles: [{ name: 'esim_1GB_7D_JP_V2', initial_bytes: 1e9, remaining_bytes: 3.2e8, unlimited: false, starts_at: at(-47), ends_at: at(-40), state: 'expired' }],
    },
  ];
}

const en = {
  queued: '1 GB left · not started yet',
  notInstalled: 'Not installed yet. Install it before you travel.',
  topUpFor: (data, stars) => `Add ${data} for ${stars} ⭐`,
  tips: /Turn on data roaming for this eSIM\.\s*Choose it for mobile data\./,
  rateLimited: /wait 7 seconds/,
  incompatible: 'This plan cannot be added to this eSIM. Please pick another one.',
};
const ru = {
  lang: 'ru',
  badges: ['Не установлена', 'Установлена', 'Установлена', 'Удалена'],
  names: ['Великобритания', 'Великобритания', 'Europe+', 'Япония'],
  queued: 'Осталось 1 ГБ · ещё не начат',
  left: (until) => `Осталось 2,1 ГБ из 3 ГБ · до ${until}`,
  unlimited: 'Безлимит · ещё не начат',
  usedUp: 'Израсходовано всё: 5 ГБ',
  ended: (date) => `Закончился ${date}`,
  notes: ['Ещё не установлена. Установите её до поездки.', null, 'Трафик закончился. Пополните, чтобы снова выйти в интернет.',
    'Эта eSIM удалена с телефона. Удалённую eSIM обычно нельзя установить заново; для следующей поездки купите новую.'],
};

// buy makes a real purchase, so that the first card installs a real eSIM.
async function buy(page, app) {
  await openPlan(app, 'GB');
  await tapMainButton(page);
  const sheet = await paySheet(page);
  await sheet.locator('#pay-confirm').click();
  const order = app.locator('section.order[data-status="fulfilled"]');
  await order.waitFor({ timeout: SLOW });
  const orderId = await order.getAttribute('data-order-id');
  const initData = await appFrame(page).evaluate(() => window.Telegram.WebApp.initData);
  const { body } = await apiGet(`/api/orders/${orderId}`, initData);
  return { orderId, iccid: body.esim.iccid, lpa: body.esim.lpa };
}

async function stubESIMs(context, list) {
  await context.route('**/api/esims', (route) => route.fulfill({
    status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: JSON.stringify(list),
  }));
}

// checkCards reads every card as the buyer sees it.
async function checkCards(app, list, want) {
  const esims = app.locator('section.orders ul.esims > li > article.esim');
  await esims.first().waitFor();
  assert.equal(await esims.count(), list.length);
  for (const [i, e] of list.entries()) {
    const card = app.locator(`article.esim[data-iccid="${e.iccid}"]`);
    assert.equal(await card.getAttribute('data-install-state'), e.install_state);
    assert.equal(await card.locator('.esim-head .badge').textContent(), want.badges[i]);
    assert.equal(await card.locator('.esim-head .name').textContent(), `${want.names[i]}eSIM …${e.iccid.slice(-4)}`);
    const note = card.locator('.esim-note');
    if (want.notes[i]) assert.equal(await note.textContent(), want.notes[i]);
    else assert.equal(await note.count(), 0);
  }
  const lines = async (iccid) => app.locator(`article.esim[data-iccid="${iccid}"] .bundle-line`).allTextContents();
  assert.deepEqual(await lines(list[0].iccid), [want.queued]);
  assert.deepEqual(await lines(INSTALLED), [want.left(shortDate(list[1].bundles[0].ends_at, want.lang)), want.unlimited]);
  assert.deepEqual(await lines(USED_UP), [want.usedUp]);
  assert.deepEqual(await lines(REMOVED), [want.ended(shortDate(list[3].bundles[0].ends_at, want.lang))]);

  // One bar per metered plan that has started, at what is left.
  const bar = app.locator(`article.esim[data-iccid="${INSTALLED}"] progress.data-left`);
  assert.equal(await bar.count(), 1);
  assert.deepEqual(await bar.evaluate((p) => [p.value, p.max, p.getAttribute('aria-label')]),
    [2.1e9, 3e9, want.left(shortDate(list[1].bundles[0].ends_at, want.lang))]);
  assert.equal(await app.locator(`article.esim[data-iccid="${USED_UP}"] progress.data-left`).evaluate((p) => p.value), 0);

  // Install only while not installed; no top-up for a removed eSIM.
  const buttons = async (iccid) => app.locator(`article.esim[data-iccid="${iccid}"] .esim-actions button`)
    .evaluateAll((bs) => bs.map((b) => b.className));
  assert.deepEqual(await buttons(list[0].iccid), ['primary install', 'secondary top-up']);
  assert.deepEqual(await buttons(INSTALLED), ['primary top-up']);
  assert.deepEqual(await buttons(USED_UP), ['primary top-up']);
  assert.deepEqual(await buttons(REMOVED), []);
}

// reloadOrders opens My eSIMs afresh (it also refreshes by itself every
// 15 s), until done(app) is true.
async function reloadOrders(app, what, done) {
  await eventually(what, async () => {
    await app.locator('#tab-catalogue').click();
    await app.locator('#tab-orders').click();
    await app.locator('section.orders h2, section.orders .rows, section.orders .muted').first().waitFor();
    return done();
  });
}

async function eventually(what, fn, { timeout = SLOW, every = 1000 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`${what}: still not true after ${timeout} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

test('after the sale: install, the 80 % alert, Top up from it, the new total (en, light)', { timeout: TEST_TIMEOUT * 2 }, async () => {
  const { page, app, problems, context } = await openSim(browser, { user: ALICE, theme: 'light', platform: 'ios' });
  try {
    const real = await buy(page, app);
    const tail = real.iccid.slice(-4);

    // My eSIMs: the new eSIM, not installed yet, its plan not started.
    await app.locator('#tab-orders').click();
    const card = app.locator(`article.esim[data-iccid="${real.iccid}"]`);
    await card.waitFor({ timeout: 30_000 });
    assert.equal(await card.locator('.esim-head .badge').textContent(), 'Not installed');
    assert.equal(await card.locator('.esim-head .name').textContent(), `United KingdomeSIM …${tail}`);
    assert.equal(await card.locator('.esim-note').textContent(), en.notInstalled);
    assert.deepEqual(await card.locator('.bundle-line').allTextContents(), [en.queued]);
    assert.equal(await card.locator('button.install').getAttribute('aria-label'), `Install eSIM …${tail}`);
    assert.equal(await app.locator('section.orders h2').first().textContent(), 'eSIMs');

    // Install: the purchase's QR and links, and the two settings.
    await card.locator('button.install').click();
    await app.locator('section.order img.qr:not([hidden])').waitFor({ timeout: 30_000 });
    assert.equal(decodeQR(await qrFromImage(appFrame(page), 'section.order img.qr')), real.lpa);
    assert.match(await app.locator('.tips').textContent(), en.tips);
    await app.locator('.tips button.more-help').click();
    await app.locator('section.help details#faq-internet[open]').waitFor();
    await page.locator('#back-button').click();
    await page.locator('#back-button').click();

    // The phone installs it; eSIM Go tells the store, the bot tells the buyer.
    const phone = page.locator(`#phone-esims li[data-iccid="${real.iccid}"]`);
    await phone.locator('button[data-action="install"]').click();
    await eventually('installed notice', async () => (await chatItems(ALICE))
      .find((it) => it.from_bot && it.text.includes(`…${tail} is installed`)));
    await reloadOrders(app, 'card installed', async () => (await card.getAttribute('data-install-state')) === 'installed');
    assert.equal(await card.locator('button.install').count(), 0, 'Install is offered for an installed eSIM');

    // 80 % used: the alert with its Top up button, and the card says what is left.
    await phone.locator('button[data-action="use-80"]').click();
    const alert = await eventually('80 % alert', async () => (await chatItems(ALICE))
      .find((it) => it.from_bot && it.text.includes(`80 % of 1 GB used on your eSIM …${tail}`)));
    assert.deepEqual(alert.buttons.map((b) => b.text), ['Top up']);
    assert.equal(new URL(alert.buttons[0].web_app_url).searchParams.get('startapp'), `esim_${real.iccid}`);
    await reloadOrders(app, 'data left', async () => /^200 MB of 1 GB left · until /.test(await card.locator('.bundle-line').first().textContent()));
    assert.equal(await card.locator('progress.data-left').evaluate((p) => p.value / p.max), 0.2);
    await page.locator(`#chat-log li.msg.bot`, { hasText: `80 % of 1 GB used on your eSIM …${tail}` }).waitFor();
    await screenshot(page, 'chat-usage-alert');

    // The alert's Top up button opens the Mini App at that eSIM.
    await page.locator('#chat-log li.msg.bot', { hasText: `80 % of 1 GB used on your eSIM …${tail}` }).locator('a.inline-button', { hasText: 'Top up' }).click();
    const focused = app.locator(`article.esim.focused[data-iccid="${real.iccid}"]`);
    await focused.waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#app').getAttribute('src'), new RegExp(`[?&]startapp=esim_${real.iccid}[&#]`));

    // Top up: the plans the store says fit this eSIM, then the invoice.
    const posts = [];
    const answers = [
      { status: 429, headers: { 'Retry-After': '7' }, body: { error: 'rate_limited', message: 'Too many requests.' } },
      { status: 409, body: { error: 'incompatible', message: 'This plan cannot be added to this eSIM.' } },
    ];
    await context.route('**/api/orders', async (route) => {
      const req = route.request();
      if (req.method() !== 'POST') return route.continue();
      posts.push({ body: req.postDataJSON(), key: req.headers()['idempotency-key'] });
      const a = answers.shift(); // two refusals played at the network layer, then the store
      if (!a) return route.continue();
      return route.fulfill({ status: a.status, headers: { 'Content-Type': 'application/json', ...a.headers }, body: JSON.stringify(a.body) });
    });
    await focused.locator('button.top-up').click();
    const view = app.locator(`section.topup[data-iccid="${real.iccid}"]`);
    const options = view.locator('[role="radio"]');
    await options.first().waitFor();
    const offered = await options.evaluateAll((bs) => bs.map((b) => b.dataset.planId));
    assert.ok(offered.includes('esim_1GB_7D_GB_V2') && offered.includes('esim_3GB_30D_GB_V2'), `offered ${offered}`);
    assert.ok(!offered.includes('esim_1GB_7D_JP_V2'), 'a plan without the eSIM\'s country is offered');
    await page.locator('#main-button').waitFor({ state: 'hidden' }); // nothing chosen yet

    const gb1 = view.locator('[data-plan-id="esim_1GB_7D_GB_V2"]');
    await gb1.click();
    assert.equal(await gb1.getAttribute('aria-checked'), 'true');
    await page.locator('#main-button:visible', { hasText: en.topUpFor('1 GB', 137) }).waitFor();
    assert.equal(await view.locator('p.muted').first().textContent(), `United Kingdom · eSIM …${tail}`);
    await screenshot(page.locator('.phone'), 'topup-light');
    await tapMainButton(page);
    await view.locator('.error-box', { hasText: en.rateLimited }).waitFor();
    await tapMainButton(page);
    await view.locator('.error-box', { hasText: en.incompatible }).waitFor();
    await gb1.waitFor({ state: 'detached' }); // not offered again
    await page.locator('#main-button').waitFor({ state: 'hidden' });

    await view.locator('[data-plan-id="esim_3GB_30D_GB_V2"]').click();
    await tapMainButton(page);
    const sheet = await paySheet(page);
    assert.match(await sheet.locator('.pay-amount').textContent(), /343 ⭐/);
    assert.deepEqual(posts.map((p) => p.body), [
      { plan_id: 'esim_1GB_7D_GB_V2', iccid: real.iccid }, { plan_id: 'esim_1GB_7D_GB_V2', iccid: real.iccid },
      { plan_id: 'esim_3GB_30D_GB_V2', iccid: real.iccid },
    ]);
    assert.ok(posts.every((p) => /^[0-9a-f-]{36}$/.test(p.key)), 'every top-up carries an Idempotency-Key');
    await sheet.locator('#pay-confirm').click();

    // Paid: the order page names the top-up and what it added, no QR; the
    // bot says the same in the chat.
    const order = app.locator(`section.order[data-top-up="${real.iccid}"]`);
    await order.waitFor();
    const orderId = await order.getAttribute('data-order-id');
    assert.equal(await order.locator('h1').textContent(), `Top-up ${orderId.slice(0, 8)}`);
    assert.equal(await order.locator('.topup-note').textContent(), `Adds the plan to your eSIM …${tail}.`);
    assert.equal(await order.locator('.steps li').last().textContent(), 'Added to your eSIM');
    await app.locator(`section.order[data-order-id="${orderId}"][data-status="fulfilled"]`).waitFor({ timeout: SLOW });
    assert.equal(await order.locator('#order-status').textContent(), `Added to your eSIM …${tail}: 3 GB.`);
    assert.equal(await order.locator('img.qr').count(), 0, 'a top-up of an installed eSIM shows no QR');
    await screenshot(page.locator('.phone'), 'topup-added-light');
    await eventually('top-up notice', async () => (await chatItems(ALICE))
      .find((it) => it.from_bot && it.text.replace(/<[^>]+>/g, '').includes(`3 GB added to your eSIM …${tail}`)));
    const { body: topUp } = await apiGet(`/api/orders/${orderId}`, await appFrame(page).evaluate(() => window.Telegram.WebApp.initData));
    assert.equal(topUp.top_up_of, real.iccid);

    // My eSIMs shows the new total: what is left of the first plan, and the new one.
    await order.locator('.topped-up button').click();
    await reloadOrders(app, 'the top-up on the card', async () => (await card.locator('.bundle').count()) === 2);
    const lines = await card.locator('.bundle-line').allTextContents();
    assert.ok(lines.includes('3 GB left · not started yet'), `lines ${lines}`);
    assert.ok(lines.some((l) => /^200 MB of 1 GB left · until \S+ \d+$/.test(l)), `lines ${lines}`);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page.locator('.phone'), 'my-esims-light');
    assert.deepEqual(problems.filter((p) => !/ 4(09|29) /.test(p)), []);
  } finally {
    await context.close();
  }
});

test('My eSIMs in Russian and dark, top-up plans from the store, and startapp=esim_<ICCID> (ru, dark)', { timeout: TEST_TIMEOUT }, async () => {
  // Boris's first card needs a real order of his for Install.
  let { page, app, problems, context } = await openSim(browser, { user: BORIS, theme: 'dark' });
  let real;
  try {
    real = await buy(page, app);
  } finally {
    await context.close();
  }
  const list = cards(real);

  // The bot's low-data alert opens the app at the eSIM: startapp=esim_<ICCID>.
  ({ page, app, problems, context } = await openSim(browser, {
    user: BORIS, theme: 'dark', startapp: `esim_${USED_UP}`, ready: 'section.orders', before: (ctx) => stubESIMs(ctx, list),
  }));
  try {
    const focused = app.locator(`article.esim.focused[data-iccid="${USED_UP}"]`);
    await focused.waitFor();
    assert.equal(await app.locator('article.esim.focused').count(), 1);
    assert.equal(await focused.evaluate((el) => el.ownerDocument.activeElement === el), true, 'the card has the focus');
    await checkCards(app, list, ru);
    await screenshot(page.locator('.phone'), 'my-esims-dark');

    // The store names the plans that fit this eSIM.
    const plans = await (await fetch(`${new URL(page.url()).origin}/api/plans?country=GB`)).json();
    const fit = plans.filter((p) => ['esim_3GB_30D_GB_V2', 'esim_10GB_30D_GB_V2'].includes(p.id));
    await context.route(`**/api/esims/${USED_UP}/plans`, (route) => route.fulfill({ status: 200, json: fit }));
    await focused.locator('button.top-up').click();
    const view = app.locator(`section.topup[data-iccid="${USED_UP}"]`);
    await view.locator('[role="radio"]').first().waitFor();
    assert.deepEqual(await view.locator('[role="radio"]').evaluateAll((bs) => bs.map((b) => b.dataset.planId)),
      ['esim_3GB_30D_GB_V2', 'esim_10GB_30D_GB_V2']);
    assert.equal(await view.locator('h1').textContent(), 'Пополнение eSIM');
    assert.equal(await view.locator('p.muted').first().textContent(), `Europe+ · eSIM …${USED_UP.slice(-4)}`);
    await view.locator('[data-plan-id="esim_10GB_30D_GB_V2"]').click();
    await page.locator('#main-button:visible', { hasText: 'Добавить 10 ГБ за 690 ⭐' }).waitFor();
    await screenshot(page.locator('.phone'), 'topup-dark');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }

  // The same link naming the order (esim_<order id>) finds the eSIM too;
  // an eSIM that is not the buyer's leaves My eSIMs as it is.
  for (const [param, want] of [[`esim_${real.orderId}`, real.iccid], ['esim_8944500102198309999', '']]) {
    ({ page, app, problems, context } = await openSim(browser, {
      user: BORIS, startapp: param, ready: 'section.orders article.esim', before: (ctx) => stubESIMs(ctx, list),
    }));
    try {
      const focused = await app.locator('article.esim.focused').evaluateAll((els) => els.map((e) => e.dataset.iccid));
      assert.deepEqual(focused, want ? [want] : []);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  }
});

test('a top-up of an eSIM that is not the buyer\'s is refused with words', { timeout: TEST_TIMEOUT }, async () => {
  const list = [{
    iccid: INSTALLED, install_state: 'installed', order_ids: [TOP_UP_ORDER],
    bundles: [{ name: 'esim_1GB_7D_DE_V2', initial_bytes: 1e9, remaining_bytes: 4e8, unlimited: false, starts_at: at(-1), ends_at: at(6), state: 'active' }],
  }];
  const { page, app, problems, context } = await openSim(browser, { user: ALICE, before: (ctx) => stubESIMs(ctx, list) });
  try {
    // The store answers GET /api/esims/{iccid}/plans with 404 esim_not_found.
    await app.locator('#tab-orders').click();
    await app.locator(`article.esim[data-iccid="${INSTALLED}"] .bundle-line`, { hasText: '400 MB of 1 GB left' }).waitFor();
    await app.locator(`article.esim[data-iccid="${INSTALLED}"] button.top-up`).click();
    await app.locator('section.topup .error-box', { hasText: 'This eSIM is not in your account.' }).waitFor();
    assert.equal(await page.locator('#main-button').isVisible(), false);
    assert.deepEqual(problems.filter((p) => !p.includes(' 404 ')), []);
  } finally {
    await context.close();
  }
});
