// "My eSIMs": the caller's monthly subscriptions (state, next renewal, the
// QR again, cancel), then their one-time orders, newest first, each opening
// its order view (status, QR again). A subscription's first period is also
// an order with the same id; it is listed once, as the subscription.
import { api } from './api.js';
import { h } from './dom.js';
import { date, shortId, stars } from './format.js';
import { t } from './i18n.js';
import { haptic, onReturn } from './tg.js';
import * as nav from './nav.js';
import { errorBox, loadPlans } from './catalogue.js';
import { orderView } from './order.js';
import { planLabel, shown, subscriptionCard } from './subscriptions.js';

// The list follows what happens elsewhere — Telegram's monthly charge, a
// cancel from the chat — so a buyer who keeps the app open or comes back to
// it sees the renewal without reopening the tab.
const REFRESH_MS = 15_000;

export function ordersView() {
  const list = h('div', {}, h('p', { class: 'muted', text: t('loading') }));
  const el = h('section', { class: 'orders' }, h('h1', { text: t('tabOrders') }), list);
  let alive = true;
  // Cards survive a reload (after a cancel), so their QR is not fetched again.
  const cards = new Map();
  let loading = false;
  let again = false; // a reload asked for while one was running
  let timer = 0;
  let stopReturn = () => {};

  // A background refresh keeps what is shown when it fails; only the first
  // load shows the error.
  async function load({ background = false } = {}) {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const [orders, subs, plans] = await Promise.all([
        api('/api/orders'),
        // Without the subscription list the orders still show.
        api('/api/subscriptions').catch(() => null),
        loadPlans().catch(() => []),
      ]);
      if (!alive) return;
      const byId = new Map(plans.map((p) => [p.id, p]));
      const orderById = new Map(orders.map((o) => [o.order_id, o]));
      const subIds = new Set((subs ?? []).map((s) => s.subscription_id));
      const visible = (subs ?? []).filter(shown);
      const shownIds = new Set(visible.map((s) => s.subscription_id));
      const oneTime = orders.filter((o) => !shownIds.has(o.order_id));

      if (!visible.length && !oneTime.length) {
        list.replaceChildren(h('p', { class: 'muted', text: t('noOrders') }),
          h('button', { type: 'button', class: 'secondary', onclick: () => document.getElementById('tab-catalogue').click() }, t('browse')));
        return;
      }
      const out = [];
      if (visible.length) {
        const items = visible.map((s) => {
          let card = cards.get(s.subscription_id);
          if (card) card.update(s);
          else {
            card = subscriptionCard(s, { order: orderById.get(s.subscription_id), plan: byId.get(s.plan_id), onChanged: load });
            cards.set(s.subscription_id, card);
          }
          return h('li', {}, card.el);
        });
        out.push(h('h2', { text: t('subscriptions') }), h('ul', { class: 'subscriptions' }, items));
      }
      if (oneTime.length) {
        if (visible.length) out.push(h('h2', { text: t('purchases') }));
        out.push(h('ul', { class: 'rows' }, oneTime.map((o) => orderRow(o, byId.get(o.plan_id), subIds.has(o.order_id)))));
      }
      list.replaceChildren(...out);
    } catch (err) {
      if (alive && !background) list.replaceChildren(errorBox(err, () => nav.refresh()));
    } finally {
      loading = false;
      if (again && alive) {
        again = false;
        load({ background: true });
      }
    }
  }

  const refresh = () => load({ background: true });
  return {
    el,
    enter() {
      load();
      stopReturn = onReturn(refresh);
      timer = setInterval(() => {
        if (document.visibilityState === 'visible') refresh();
      }, REFRESH_MS);
    },
    leave() {
      alive = false;
      clearInterval(timer);
      stopReturn();
      for (const card of cards.values()) card.leave();
    },
  };
}

function orderRow(o, plan, subscription) {
  const label = planLabel(plan, o.plan_id);
  return h('li', {},
    h('button', {
      type: 'button', class: 'row', dataset: { orderId: o.order_id, status: o.status },
      onclick: () => {
        haptic.select();
        nav.push(() => orderView(o.order_id, { plan, priceStars: o.price_stars, invoiceLink: o.invoice_link ?? '', autoOpen: false, subscription }));
      },
    },
    h('span', { class: 'name' }, label,
      h('small', { text: `${subscription ? `${t('monthly')} · ` : ''}${t('createdAt', { date: date(o.created_at) })} · #${shortId(o.order_id)}` })),
    h('span', { class: `badge status-${o.status}`, text: t(`status_${o.status}`) }),
    h('span', { class: 'price', text: stars(o.price_stars) })));
}
