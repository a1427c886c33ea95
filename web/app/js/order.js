// One order: opens the Stars invoice, then polls the server whatever the
// invoiceClosed callback said (some clients report "failed" or nothing at all
// for a payment that went through), and shows progress until the eSIM is
// delivered, the Stars are refunded or the quote expires.
import { api, errorText } from './api.js';
import { h } from './dom.js';
import { data, days, shortId, stars, tail } from './format.js';
import { t } from './i18n.js';
import { canOpenInvoice, haptic, mainButton, openInvoice, openTelegramLink } from './tg.js';
import * as nav from './nav.js';
import { deliveredSection } from './delivered.js';

const TERMINAL = new Set(['fulfilled', 'refunded', 'expired']);
const STEPS = [
  ['awaiting_payment', 'stepAwaiting'],
  ['paid', 'stepPaid'],
  ['fulfilling', 'stepFulfilling'],
  ['fulfilled', 'stepDelivered'],
];
const STATUS_TEXT = {
  awaiting_payment: 'statusAwaiting',
  paid: 'statusPaid',
  fulfilling: 'statusFulfilling',
  fulfilled: 'statusFulfilled',
  refunding: 'statusRefunding',
  expired: 'statusExpired',
};
const INVOICE_NOTE = { paid: 'invoicePaid', pending: 'invoicePending', cancelled: 'invoiceCancelled', failed: 'invoiceFailed' };

// Fast polls while the buyer is watching the payment land, slower after.
const FAST_MS = 1000;
const SLOW_MS = 4000;
const FAST_FOR_MS = 90_000;

// subscription: the order is the first period of a monthly subscription
// (same id); the page says so, the rest is the same as for a purchase.
// topUp: the ICCID the order tops up (also read from the order itself);
// once paid there is no QR to show, only what was added, unless eSIM Go
// had to put the plan on a new eSIM.
export function orderView(orderId, { invoiceLink = '', plan = null, priceStars = 0, autoOpen = true, subscription = false, topUp = '' } = {}) {
  let order = null;
  let alive = true;
  let timer = 0;
  let fastUntil = Date.now() + FAST_FOR_MS;
  let invoiceOpen = false;
  let invoiceStatus = '';
  let mainState = '';
  let delivered = null;

  const steps = h('ol', { class: 'steps' }, STEPS.map(([status, key]) => h('li', { dataset: { step: status } }, t(key))));
  const title = h('h1', {});
  const topUpNote = h('p', { class: 'hint topup-note', hidden: true });
  const statusLine = h('p', { class: 'status', id: 'order-status', role: 'status' }, t('loading'));
  const note = h('p', { class: 'note', hidden: true });
  const error = h('div', { class: 'error-box', role: 'alert', hidden: true });
  const extra = h('div', {});
  // "Help with this order": the bot chat, with the order attached to what
  // the buyer writes there (the server sends help_link only when a support
  // chat is set up).
  const help = h('p', { class: 'help', hidden: true },
    h('button', { type: 'button', class: 'secondary', id: 'help-order', onclick: () => {
      if (!order?.help_link) return;
      haptic.impact('light');
      openTelegramLink(order.help_link);
    } }, t('helpWithOrder')));
  const summary = h('p', { class: 'muted' }, plan ? `${data(plan)} · ${days(plan.duration_days)}` : '');
  const el = h('section', { class: 'order', dataset: subscription ? { orderId, subscription: 'true' } : { orderId } },
    title,
    summary,
    topUpNote,
    subscription && h('p', { class: 'hint subscription-note', text: t('subscriptionNote') }),
    steps, statusLine, note, error, extra, help);

  function openPay() {
    if (invoiceOpen || !invoiceLink) return;
    if (!canOpenInvoice()) {
      showError(t('errInvoice'));
      return;
    }
    invoiceOpen = true;
    invoiceStatus = '';
    setMain('paying');
    haptic.impact('medium');
    try {
      openInvoice(invoiceLink, onInvoiceClosed);
    } catch (err) {
      invoiceOpen = false;
      showError(t('errInvoice'));
      render();
    }
  }

  function onInvoiceClosed(status) {
    invoiceOpen = false;
    invoiceStatus = status;
    if (status === 'paid') haptic.notify('success');
    else if (status === 'failed') haptic.notify('error');
    fastUntil = Date.now() + FAST_FOR_MS;
    render();
    pollNow();
  }

  async function poll() {
    timer = 0;
    try {
      const next = await api(`/api/orders/${encodeURIComponent(orderId)}`);
      if (!alive) return;
      const changed = next.status !== order?.status;
      order = next;
      error.hidden = true;
      if (changed && order.status === 'fulfilled') haptic.notify('success');
      if (changed && order.status === 'refunded') haptic.notify('warning');
      render();
    } catch (err) {
      if (!alive) return;
      showError(errorText(err));
      // 401 and 404 will not heal by themselves; everything else might.
      if (err.kind === 'unauthorized' || err.kind === 'not_found' || err.kind === 'no_telegram') return;
    }
    if (!TERMINAL.has(order?.status)) schedule();
  }

  function schedule() {
    if (!alive || timer) return;
    timer = setTimeout(poll, Date.now() < fastUntil ? FAST_MS : SLOW_MS);
  }

  function pollNow() {
    clearTimeout(timer);
    timer = 0;
    poll();
  }

  function showError(text) {
    error.replaceChildren(h('p', { text }));
    error.hidden = false;
  }

  // labels names the order for what it is: a purchase, a subscription's
  // first period or a top-up.
  function labels() {
    title.textContent = t(topUp ? 'topUpOrder' : subscription ? 'subscription' : 'order', { id: shortId(orderId) });
    topUpNote.hidden = !topUp;
    if (!topUp) return;
    el.dataset.topUp = topUp;
    topUpNote.textContent = t('topUpOrderNote', { tail: tail(topUp) });
    steps.lastElementChild.textContent = t('stepAdded');
  }
  labels();

  function render() {
    if (!order) return;
    if (!topUp && order.top_up_of) {
      topUp = order.top_up_of;
      labels();
    }
    const status = order.status;
    el.dataset.status = status;
    const amount = order.price_stars || priceStars;
    if (plan === null && order.plan) summary.textContent = order.plan;
    renderSteps(status);
    if (status === 'refunded') {
      statusLine.textContent = t('statusRefunded', { stars: stars(amount) });
    } else if (order.queue && (status === 'paid' || status === 'fulfilling')) {
      // A burst of purchases waits for eSIM Go's budget: say where the
      // buyer stands instead of only spinning.
      statusLine.textContent = t('statusQueued', { ahead: t('queueAhead', { n: order.queue.ahead }), wait: waitText(order.queue.wait_seconds) });
    } else if (status === 'fulfilled' && topUp) {
      statusLine.textContent = t('statusToppedUp', { tail: tail(topUp), data: plan ? data(plan) : order.plan_name ?? '' });
    } else {
      statusLine.textContent = t(STATUS_TEXT[status] ?? 'loading');
    }
    const noteKey = status === 'awaiting_payment' && !invoiceOpen ? INVOICE_NOTE[invoiceStatus] : '';
    note.hidden = !noteKey;
    if (noteKey) note.textContent = t(noteKey);
    note.dataset.invoice = invoiceStatus;

    const reassigned = topUp && order.esim?.iccid && order.esim.iccid !== topUp;
    if (status === 'fulfilled' && topUp && !reassigned && !delivered) {
      delivered = { el: h('div', { class: 'topped-up' },
        h('button', { type: 'button', class: 'secondary', onclick: () => document.getElementById('tab-orders').click() }, t('openMyEsims'))) };
      extra.replaceChildren(delivered.el);
    } else if (status === 'fulfilled' && order.esim && !delivered) {
      delivered = deliveredSection(order);
      extra.replaceChildren(...(reassigned ? [h('p', { class: 'note reassigned', text: t('topUpReassigned', { tail: tail(topUp) }) })] : []), delivered.el);
      // The buyer watched the progress at the top; the QR is what they wait for.
      delivered.el.scrollIntoView({ block: 'start' });
    } else if ((status === 'refunded' || status === 'refunding') && order.refund?.reason) {
      extra.replaceChildren(h('p', { class: 'refund-reason', text: t('refundReason', { reason: refundReasonText(order.refund) }) }));
    }

    help.hidden = !order.help_link || status === 'awaiting_payment' || status === 'expired';

    if (status === 'awaiting_payment' && invoiceLink) setMain(invoiceOpen ? 'paying' : 'pay', amount);
    // A lapsed top-up is tried again from its eSIM in My eSIMs, not as a new eSIM.
    else if (status === 'expired' && plan && !topUp) setMain('again');
    else setMain('none');
  }

  function renderSteps(status) {
    const at = STEPS.findIndex(([s]) => s === status);
    const failed = status === 'refunding' || status === 'refunded' || status === 'expired';
    // A refund follows a paid order whose eSIM could not be prepared; an
    // expired order never got past payment.
    const reached = at >= 0 ? at : status === 'expired' ? 0 : 2;
    [...steps.children].forEach((li, i) => {
      li.className = i < reached || (i === reached && status === 'fulfilled') ? 'done' : i === reached ? (failed ? 'failed' : 'current') : '';
      if (i === reached) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
  }

  function setMain(state, amount = priceStars) {
    const key = `${state}:${amount}`;
    if (key === mainState) return;
    mainState = key;
    if (state === 'pay') mainButton.set({ text: t('payFor', { stars: stars(amount) }), onClick: openPay });
    else if (state === 'paying') {
      mainButton.set({ text: t('payFor', { stars: stars(amount) }), onClick: () => {} });
      mainButton.progress(true);
    } else if (state === 'again') {
      mainButton.set({ text: t('buyAgain'), onClick: async () => {
        const { planView } = await import('./plan.js');
        nav.replace(() => planView(plan));
      } });
    } else mainButton.hide();
  }

  return {
    el,
    enter() {
      if (autoOpen && invoiceLink) openPay();
      poll();
    },
    leave() {
      alive = false;
      clearTimeout(timer);
      delivered?.leave?.();
    },
  };
}

// waitText says a wait in seconds, or in minutes from a minute and a half.
function waitText(seconds) {
  if (seconds < 90) return t('waitSeconds', { n: seconds });
  return t('waitMinutes', { n: Math.round(seconds / 60) });
}

// refundReasonText shows a known reason in the buyer's language; a support
// note (free text) is shown as support wrote it.
function refundReasonText(refund) {
  const known = ['refund_reason_esim', 'refund_reason_duplicate', 'refund_reason_late', 'refund_reason_amount', 'refund_reason_unknown'];
  return known.includes(refund.code) ? t(refund.code) : refund.reason;
}
