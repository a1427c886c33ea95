// One monthly subscription in "My eSIMs": its state and period, the eSIM's
// QR again (the subscription's first period is an order with the same id, so
// GET /api/orders/{id}/qr.png serves it), and cancelling with a
// confirmation. Cancelling cannot fire twice and shows its progress; the
// answer of POST /api/subscriptions/{id}/cancel comes once Telegram has
// stopped the renewals, so "Cancelled" is true when the buyer reads it.
import { api, errorText } from './api.js';
import { h } from './dom.js';
import { data, day, days, shortId, stars } from './format.js';
import { t } from './i18n.js';
import { confirm, haptic } from './tg.js';
import * as nav from './nav.js';
import { showQR } from './delivered.js';
import { orderView } from './order.js';
import { toast } from './banner.js';

// States in which the subscription has a delivered eSIM to show.
const HAS_ESIM = new Set(['active', 'canceled', 'failed', 'expired']);

// shown decides whether a subscription gets a card: one that was never paid
// and has lapsed is only an expired quote, listed with the purchases.
export function shown(sub) {
  return !(sub.status === 'expired' && !sub.iccid && !sub.periods);
}

export function planLabel(plan, fallback) {
  return plan ? `${data(plan)} · ${days(plan.duration_days)}` : fallback;
}

// subscriptionCard renders sub; order is its first period from GET
// /api/orders (price and invoice link), plan its catalogue entry (either
// may be missing). onChanged asks the list to reload.
export function subscriptionCard(sub, { order = null, plan = null, onChanged = () => {} } = {}) {
  let state = { ...sub };
  let alive = true;
  let busy = false;
  let blobURL = '';
  let qrFor = '';

  // The order's plan name says where ("United Kingdom · 1 GB · 7 days").
  const label = order?.plan_name || planLabel(plan, sub.plan_id);
  const priceStars = order?.price_stars ?? plan?.price_stars ?? 0;
  const badge = h('span', { class: 'badge' });
  const when = h('p', { class: 'sub-when' });
  const meta = h('p', { class: 'muted sub-meta' });
  const img = h('img', { class: 'qr sub-qr', alt: t('qrAlt'), width: 180, height: 180, hidden: true });
  const qrStatus = h('p', { class: 'muted', text: t('qrLoading') });
  const qrBox = h('figure', { class: 'qr-box', hidden: true }, img, qrStatus);
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const actions = h('div', { class: 'sub-actions' });
  const confirmBox = h('div', { class: 'confirm-box', role: 'group', hidden: true });
  const el = h('article', { class: 'subscription', dataset: { subscriptionId: sub.subscription_id } },
    h('header', { class: 'sub-head' },
      h('span', { class: 'name' }, label,
        h('small', { text: `${priceStars ? `${t('perPeriod', { stars: stars(priceStars) })} · ` : ''}#${shortId(sub.subscription_id)}` })),
      badge),
    when, meta, qrBox, actions, confirmBox, error);

  function render() {
    const st = state.status;
    el.dataset.status = st;
    badge.className = `badge sub-status-${st}`;
    badge.textContent = t(`sub_status_${st}`);
    when.textContent = whenText(state);
    when.hidden = !when.textContent;
    const parts = [];
    if (state.periods) parts.push(t('subPeriods', { n: state.periods }));
    if (state.iccid) parts.push(`${t('iccid')} ${state.iccid}`);
    meta.textContent = parts.join(' · ');
    meta.hidden = !parts.length;

    const esim = HAS_ESIM.has(st) && !!state.iccid;
    qrBox.hidden = !esim;
    if (esim && qrFor !== state.subscription_id) loadQR();

    const buttons = [];
    if (st === 'awaiting_payment' && order?.invoice_link) {
      buttons.push(h('button', { type: 'button', class: 'primary', onclick: () => openOrder(true) },
        t('payFor', { stars: stars(priceStars) })));
    } else if (esim || st === 'refunded') {
      buttons.push(h('button', { type: 'button', class: 'secondary details', onclick: () => openOrder(false) }, t('installDetails')));
    }
    if (st === 'active') {
      buttons.push(h('button', { type: 'button', class: 'danger cancel-subscription', onclick: askCancel }, t('cancelSubscription')));
    }
    actions.replaceChildren(...buttons);
    actions.hidden = !buttons.length;
  }

  function openOrder(pay) {
    haptic.select();
    nav.push(() => orderView(state.subscription_id, {
      plan, priceStars, invoiceLink: pay ? order?.invoice_link ?? '' : '', autoOpen: pay, subscription: true,
    }));
  }

  async function loadQR() {
    qrFor = state.subscription_id;
    const url = await showQR(state.subscription_id, img, qrStatus, () => alive);
    if (url) {
      if (blobURL) URL.revokeObjectURL(blobURL);
      blobURL = url;
    }
  }

  async function askCancel() {
    if (busy) return;
    haptic.impact('light');
    const date = state.expires_at ? day(state.expires_at) : '';
    const question = date ? t('cancelConfirm', { plan: label, date }) : t('cancelConfirmNoDate', { plan: label });
    busy = true; // no second question while the first is open
    const answer = await confirm(question);
    busy = false;
    if (!alive) return;
    if (answer === null) {
      askInPage(question);
      return;
    }
    if (answer) cancel();
  }

  // askInPage is the confirmation outside Telegram (or in a client without
  // popups): inline, with "Keep it" focused so that Enter is harmless.
  function askInPage(question) {
    const keep = h('button', { type: 'button', class: 'secondary confirm-no', onclick: () => { confirmBox.hidden = true; } }, t('cancelKeep'));
    const yes = h('button', {
      type: 'button', class: 'danger confirm-yes',
      onclick: () => {
        confirmBox.hidden = true;
        cancel();
      },
    }, t('cancelYes'));
    confirmBox.replaceChildren(h('p', { text: question }), h('div', { class: 'sub-actions' }, yes, keep));
    confirmBox.setAttribute('aria-label', t('cancelSubscription'));
    confirmBox.hidden = false;
    keep.focus();
  }

  async function cancel() {
    if (busy) return;
    busy = true;
    error.hidden = true;
    const button = actions.querySelector('.cancel-subscription');
    if (button) {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.classList.add('progress');
      button.textContent = t('cancelling');
    }
    try {
      const res = await api(`/api/subscriptions/${encodeURIComponent(state.subscription_id)}/cancel`, { method: 'POST' });
      if (!alive) return;
      state = { ...state, status: res?.status || 'canceled' };
      haptic.notify('success');
      toast(t('cancelled'));
      busy = false;
      render();
      onChanged();
    } catch (err) {
      if (!alive) return;
      busy = false;
      haptic.notify('error');
      render();
      error.replaceChildren(h('p', { text: errorText(err, { notFound: 'errSubscriptionGone' }) }));
      error.hidden = false;
      // 409: it is no longer active (ended or cancelled elsewhere, e.g. /cancel in the chat).
      if (err.kind === 'conflict') onChanged();
    }
  }

  render();
  return {
    el,
    // update takes a fresher copy of the subscription from the list.
    update(next) {
      if (busy) return;
      state = { ...state, ...next };
      render();
    },
    leave() {
      alive = false;
      if (blobURL) URL.revokeObjectURL(blobURL);
    },
  };
}

function whenText(sub) {
  const date = sub.expires_at ? day(sub.expires_at) : '';
  switch (sub.status) {
    case 'active': return date ? t('subRenewsOn', { date }) : '';
    case 'canceled': return date ? t('subCanceledUntil', { date }) : t('subCanceled');
    case 'failed': return date ? t('subFailedUntil', { date }) : '';
    case 'expired': return date ? t('subEndedOn', { date }) : '';
    case 'refunded': return t('subRefunded');
    case 'awaiting_payment': return t('subAwaiting');
    default: return '';
  }
}
