// Top-up: another plan onto an eSIM the buyer already has. The plans come
// from GET /api/esims/{iccid}/plans (those eSIM Go says fit this eSIM; the
// server still refuses a misfit with 409 incompatible when the order is
// made). Paying is the purchase's flow: POST /api/orders {"plan_id","iccid"},
// then the order view with the Stars invoice; the bot says what was added.
import { api, errorText, newIdempotencyKey } from './api.js';
import { h } from './dom.js';
import { data, days, stars, tail, usd } from './format.js';
import { t } from './i18n.js';
import { haptic, initData, mainButton } from './tg.js';
import * as nav from './nav.js';
import { errorBox, regionLabel } from './catalogue.js';
import { orderView } from './order.js';
import { hideBanner } from './banner.js';

export function topUpView(esim, { title = '' } = {}) {
  const iccid = esim.iccid;
  const list = h('div', { class: 'topup-plans' }, h('p', { class: 'muted', text: t('loading') }));
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const el = h('section', { class: 'topup', dataset: { iccid } },
    h('h1', { text: t('topUpTitle') }),
    h('p', { class: 'muted', text: [title, t('esimTail', { tail: tail(iccid) })].filter(Boolean).join(' · ') }),
    h('p', { class: 'hint', text: t('topUpIntro') }),
    list, error);

  let alive = true;
  let chosen = null;
  let busy = false;
  const refused = new Set(); // plans the server called incompatible


  function render(plans) {
    const offered = plans.filter((p) => !refused.has(p.id));
    if (!offered.length) {
      list.replaceChildren(h('p', { class: 'muted', text: t('topUpNone') }));
      mainButton.hide();
      return;
    }
    list.replaceChildren(h('h2', { id: 'topup-choose', text: t('topUpChoose') }),
      h('ul', { class: 'plan-cards', role: 'radiogroup', 'aria-labelledby': 'topup-choose' }, offered.map((p) => h('li', {},
        h('button', {
          type: 'button', class: 'plan-card', role: 'radio', 'aria-checked': String(chosen?.id === p.id),
          dataset: { planId: p.id }, onclick: () => choose(p, plans),
        },
        h('span', { class: 'plan-data', text: data(p) }),
        h('span', { class: 'plan-days', text: days(p.duration_days) }),
        (p.countries ?? []).length > 1 && h('span', { class: 'plan-area', text: regionLabel(p) }),
        h('span', { class: 'plan-price' },
          h('strong', { text: stars(p.price_stars) }),
          h('small', { text: t('approxUsd', { usd: usd(p.price_usd) }) })))))));
  }

  function choose(plan, plans) {
    if (busy) return;
    haptic.select();
    chosen = plan;
    // In place, so the tapped (or keyboard-focused) card keeps its focus.
    for (const b of list.querySelectorAll('[role="radio"]')) b.setAttribute('aria-checked', String(b.dataset.planId === plan.id));
    mainButton.set({ text: t('topUpFor', { data: data(plan), stars: stars(plan.price_stars) }), onClick: () => buy(plans) });
  }

  async function buy(plans) {
    if (busy || !chosen) return;
    busy = true;
    error.hidden = true;
    hideBanner();
    haptic.impact('medium');
    const plan = chosen;
    if (!initData()) {
      fail(t('errNoTelegram'), plans);
      return;
    }
    mainButton.progress(true);
    try {
      const order = await api('/api/orders', {
        method: 'POST',
        body: { plan_id: plan.id, iccid },
        headers: { 'Idempotency-Key': newIdempotencyKey() },
      });
      // replace: Back from the order returns to My eSIMs, not to a button
      // that would start a second top-up.
      nav.replace(() => orderView(order.order_id, {
        invoiceLink: order.invoice_link, plan, priceStars: order.price_stars, topUp: iccid,
      }));
    } catch (err) {
      if (err.code === 'incompatible') {
        refused.add(plan.id);
        chosen = null;
        render(plans);
      }
      fail(errorText(err, { notFound: 'errPlanGone' }), plans);
    }
  }

  function fail(text, plans) {
    haptic.notify('error');
    error.replaceChildren(h('p', { text }));
    error.hidden = false;
    busy = false;
    if (chosen) mainButton.set({ text: t('topUpFor', { data: data(chosen), stars: stars(chosen.price_stars) }), onClick: () => buy(plans) });
    else mainButton.hide();
    error.scrollIntoView({ block: 'nearest' });
  }

  return {
    el,
    enter() {
      api(`/api/esims/${encodeURIComponent(iccid)}/plans`).then((plans) => {
        if (alive) render(plans);
      }, (err) => {
        if (alive) list.replaceChildren(errorBox(err, () => nav.refresh()));
      });
    },
    leave() {
      alive = false;
    },
  };
}
