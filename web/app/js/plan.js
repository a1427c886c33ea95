// Plan details and the Buy button. Buy cannot fire twice: a busy flag guards
// the handler (MainButton clicks can queue up while a request is in flight)
// and the MainButton shows its progress state until the order exists.
import { api, errorText, newIdempotencyKey } from './api.js';
import { h } from './dom.js';
import { countryName, data, days, flag, stars, usd } from './format.js';
import { t } from './i18n.js';
import { haptic, initData, mainButton } from './tg.js';
import * as nav from './nav.js';
import { orderView } from './order.js';
import { hideBanner } from './banner.js';

export function planView(plan) {
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const el = h('section', { class: 'plan' },
    h('h1', { text: `${data(plan)} · ${days(plan.duration_days)}` }),
    h('p', { class: 'price-line' },
      h('strong', { class: 'price-stars', text: stars(plan.price_stars) }),
      ' ',
      h('span', { class: 'muted', text: t('approxUsd', { usd: usd(plan.price_usd) }) })),
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

  let busy = false;
  async function buy() {
    if (busy) return;
    busy = true;
    error.hidden = true;
    hideBanner();
    haptic.impact('medium');
    if (!initData()) {
      fail(t('errNoTelegram'));
      return;
    }
    mainButton.progress(true);
    try {
      const order = await api('/api/orders', {
        method: 'POST',
        body: { plan_id: plan.id },
        headers: { 'Idempotency-Key': newIdempotencyKey() },
      });
      // replace, not push: Back from the order returns to the country list,
      // not to a Buy button that would start a second order.
      nav.replace(() => orderView(order.order_id, { invoiceLink: order.invoice_link, plan, priceStars: order.price_stars }));
    } catch (err) {
      fail(errorText(err, { notFound: 'errPlanGone' }));
    }
  }

  function fail(text) {
    haptic.notify('error');
    error.replaceChildren(h('p', { text }));
    error.hidden = false;
    mainButton.progress(false);
    busy = false;
    error.scrollIntoView({ block: 'nearest' });
  }

  return {
    el,
    enter() {
      mainButton.set({ text: t('buyFor', { stars: stars(plan.price_stars) }), onClick: buy });
    },
  };
}
