// Plan details, the Buy button and the monthly subscription. Buy is
// Telegram's MainButton; "Subscribe monthly" is its SecondaryButton beside
// it, or a button in the page in clients without one. Neither can fire
// twice: one busy flag guards both handlers (button clicks can queue up
// while a request is in flight, and buying while a subscription is being
// created would start two purchases), and the button that was tapped shows
// its progress state until the order or subscription exists.
import { api, errorText, newIdempotencyKey } from './api.js';
import { h } from './dom.js';
import { countryName, data, days, flag, stars, usd } from './format.js';
import { t } from './i18n.js';
import { haptic, initData, mainButton, secondaryButton } from './tg.js';
import * as nav from './nav.js';
import { orderView } from './order.js';
import { hideBanner } from './banner.js';

// Telegram caps a Stars subscription at 10,000 Stars per period.
export const MAX_SUBSCRIPTION_STARS = 10000;

export function canSubscribe(plan) {
  return Number(plan.price_stars) > 0 && Number(plan.price_stars) <= MAX_SUBSCRIPTION_STARS;
}

export function planView(plan) {
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const subscribeLabel = t('subscribeMonthly', { stars: stars(plan.price_stars) });
  const offersSubscription = canSubscribe(plan);
  const inTelegramBar = offersSubscription && secondaryButton.available();
  const subscribeButton = offersSubscription && !inTelegramBar
    ? h('button', { type: 'button', class: 'secondary subscribe', id: 'subscribe', onclick: () => subscribe() }, subscribeLabel)
    : null;
  const el = h('section', { class: 'plan' },
    h('h1', { text: `${data(plan)} · ${days(plan.duration_days)}` }),
    h('p', { class: 'price-line' },
      h('strong', { class: 'price-stars', text: stars(plan.price_stars) }),
      ' ',
      h('span', { class: 'muted', text: t('approxUsd', { usd: usd(plan.price_usd) }) })),
    offersSubscription && h('div', { class: 'subscribe-box' },
      subscribeButton,
      h('p', { class: 'hint', id: 'subscribe-hint', text: t('subscribeHint') })),
    h('h2', { text: t('planFacts') }),
    h('dl', { class: 'facts' },
      h('dt', { text: t('data') }), h('dd', { text: data(plan) }),
      h('dt', { text: t('validity') }), h('dd', { text: days(plan.duration_days) }),
      h('dt', { text: t('price') }), h('dd', { text: `${stars(plan.price_stars)} (${t('approxUsd', { usd: usd(plan.price_usd) })})` })),
    plan.description && h('p', { class: 'muted', text: plan.description }),
    h('h2', { text: t('coverage') }),
    h('ul', { class: 'coverage' }, (plan.countries ?? []).map((iso) =>
      h('li', {}, h('span', { 'aria-hidden': 'true' }, `${flag(iso)} `), countryName(iso)))),
    h('p', { class: 'hint', text: t('instantDelivery') }),
    error);
  if (subscribeButton) subscribeButton.setAttribute('aria-describedby', 'subscribe-hint');

  const buyText = t('buyFor', { stars: stars(plan.price_stars) });
  let busy = false;

  // start runs one purchase request: the tapped control shows progress, the
  // other one is disabled, and a failure re-enables both.
  async function start(kind, request) {
    if (busy) return;
    busy = true;
    error.hidden = true;
    hideBanner();
    haptic.impact('medium');
    if (!initData()) {
      fail(t('errNoTelegram'));
      return;
    }
    if (kind === 'buy') {
      mainButton.progress(true);
      if (subscribeButton) subscribeButton.disabled = true;
      if (inTelegramBar) secondaryButton.active(false);
    } else if (inTelegramBar) {
      mainButton.set({ text: buyText, onClick: buy, active: false });
      secondaryButton.progress(true);
    } else {
      mainButton.set({ text: buyText, onClick: buy, active: false });
      subscribeButton.disabled = true;
      subscribeButton.setAttribute('aria-busy', 'true');
      subscribeButton.classList.add('progress');
      subscribeButton.textContent = t('creatingSubscription');
    }
    try {
      await request();
    } catch (err) {
      fail(err?.code === 'not_subscribable' ? t('errNotSubscribable') : errorText(err, { notFound: 'errPlanGone' }));
    }
  }

  function buy() {
    return start('buy', async () => {
      const order = await api('/api/orders', {
        method: 'POST',
        body: { plan_id: plan.id },
        headers: { 'Idempotency-Key': newIdempotencyKey() },
      });
      // replace, not push: Back from the order returns to the country list,
      // not to a Buy button that would start a second order.
      nav.replace(() => orderView(order.order_id, { invoiceLink: order.invoice_link, plan, priceStars: order.price_stars }));
    });
  }

  function subscribe() {
    return start('subscribe', async () => {
      const sub = await api('/api/subscriptions', {
        method: 'POST',
        body: { plan_id: plan.id },
        headers: { 'Idempotency-Key': newIdempotencyKey() },
      });
      // The subscription's first period is an order with the same id: the
      // order view opens the subscription invoice and shows the QR.
      nav.replace(() => orderView(sub.order_id ?? sub.subscription_id, {
        invoiceLink: sub.invoice_link, plan, priceStars: sub.price_stars, subscription: true,
      }));
    });
  }

  function fail(text) {
    haptic.notify('error');
    error.replaceChildren(h('p', { text }));
    error.hidden = false;
    mainButton.set({ text: buyText, onClick: buy });
    if (inTelegramBar) secondaryButton.set({ text: subscribeLabel, onClick: subscribe });
    if (subscribeButton) {
      subscribeButton.disabled = false;
      subscribeButton.removeAttribute('aria-busy');
      subscribeButton.classList.remove('progress');
      subscribeButton.textContent = subscribeLabel;
    }
    busy = false;
    error.scrollIntoView({ block: 'nearest' });
  }

  return {
    el,
    enter() {
      mainButton.set({ text: buyText, onClick: buy });
      if (inTelegramBar) secondaryButton.set({ text: subscribeLabel, onClick: subscribe });
    },
  };
}
