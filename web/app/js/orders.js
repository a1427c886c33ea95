// "My eSIMs": the caller's eSIMs (install state, data left, install, top
// up), their monthly subscriptions (state, next renewal, the QR again,
// cancel), then their orders, newest first, each opening its order view
// (status, QR again). A subscription's first period is also an order with
// the same id; it is listed once, as the subscription.
import { api } from './api.js';
import { h } from './dom.js';
import { countryName, date, shortId, stars, tail } from './format.js';
import { t } from './i18n.js';
import { haptic, onReturn } from './tg.js';
import * as nav from './nav.js';
import { errorBox, loadPlans, regionLabel } from './catalogue.js';
import { orderView } from './order.js';
import { planLabel, shown, subscriptionCard } from './subscriptions.js';
import { esimCard } from './esims.js';
import { topUpView } from './topup.js';

// The list follows what happens elsewhere — Telegram's monthly charge, a
// cancel from the chat — so a buyer who keeps the app open or comes back to
// it sees the renewal without reopening the tab.
const REFRESH_MS = 15_000;

// esims reads GET /api/esims. Without it the subscriptions and orders
// still show: a failure keeps the cards already shown (previous), if any.
async function esims(previous) {
  try {
    return await api('/api/esims');
  } catch {
    return previous;
  }
}

// focus: an ICCID or order id a startapp=esim_… link pointed at; that
// eSIM's card is scrolled to and marked.
export function ordersView({ focus = '' } = {}) {
  const list = h('div', {}, h('p', { class: 'muted', text: t('loading') }));
  const el = h('section', { class: 'orders' }, h('h1', { text: t('tabOrders') }), list);
  let alive = true;
  // Cards survive a reload (after a cancel), so their QR is not fetched again.
  const cards = new Map();
  let loading = false;
  let again = false; // a reload asked for while one was running
  let timer = 0;
  let stopReturn = () => {};
  let lastESIMs = null;
  let shownKey = '';
  let focusPending = !!focus;

  // A background refresh keeps what is shown when it fails; only the first
  // load shows the error.
  async function load({ background = false } = {}) {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const [orders, subs, plans, cardsData] = await Promise.all([
        api('/api/orders'),
        // Without the subscription list the orders still show.
        api('/api/subscriptions').catch(() => null),
        loadPlans().catch(() => []),
        esims(lastESIMs),
      ]);
      if (!alive) return;
      lastESIMs = cardsData;
      // A refresh that brings nothing new leaves the page alone, so focus
      // and what the buyer is reading stay put.
      const key = JSON.stringify([orders, subs, cardsData, plans.length]);
      if (key === shownKey) return;
      shownKey = key;
      const byId = new Map(plans.map((p) => [p.id, p]));
      const orderById = new Map(orders.map((o) => [o.order_id, o]));
      const subIds = new Set((subs ?? []).map((s) => s.subscription_id));
      const visible = (subs ?? []).filter(shown);
      const shownIds = new Set(visible.map((s) => s.subscription_id));
      const oneTime = orders.filter((o) => !shownIds.has(o.order_id));

      const owned = cardsData ?? [];
      if (!owned.length && !visible.length && !oneTime.length) {
        list.replaceChildren(h('p', { class: 'muted', text: t('noOrders') }),
          h('button', { type: 'button', class: 'secondary', onclick: () => document.getElementById('tab-catalogue').click() }, t('browse')));
        return;
      }
      const out = [];
      if (owned.length) {
        const focused = owned.find((e) => e.iccid === focus || (e.order_ids ?? []).includes(focus));
        out.push(h('h2', { text: t('esimsTitle') }), h('ul', { class: 'esims' }, owned.map((e) => h('li', {},
          esimCard(e, {
            plans: byId, installOrder: installOrderOf(e, orderById), focused: e === focused,
            onInstall: openInstall, onTopUp: (x) => openTopUp(x, byId),
          })))));
      }
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
        if (owned.length) out.push(h('h2', { text: t('orderHistory') }));
        else if (visible.length) out.push(h('h2', { text: t('purchases') }));
        out.push(h('ul', { class: 'rows' }, oneTime.map((o) => orderRow(o, byId.get(o.plan_id), subIds.has(o.order_id)))));
      }
      list.replaceChildren(...out);
      if (focusPending) {
        const card = list.querySelector('article.esim.focused');
        if (card) {
          focusPending = false;
          card.scrollIntoView({ block: 'start' });
          card.focus({ preventScroll: true });
        }
      }
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

// installOrderOf names the order whose QR installs the eSIM: its first
// order that was not a top-up (the subscription's first period counts).
function installOrderOf(esim, orderById) {
  const ids = esim.order_ids ?? [];
  const known = ids.map((id) => orderById.get(id)).filter((o) => o && !o.top_up_of && o.status === 'fulfilled')
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  return known[0]?.order_id ?? ids.find((id) => !orderById.get(id)?.top_up_of) ?? '';
}

function openInstall(esim, orderId) {
  haptic.select();
  nav.push(() => orderView(orderId, { autoOpen: false }));
}

function openTopUp(esim, byId) {
  haptic.select();
  const plan = byId.get(esim.plan_id) ?? (esim.bundles ?? []).map((b) => byId.get(b.name)).find(Boolean);
  const countries = plan?.countries ?? [];
  const title = countries.length === 1 ? countryName(countries[0]) : plan ? regionLabel(plan) : '';
  nav.push(() => topUpView(esim, { title }));
}

function orderRow(o, plan, subscription) {
  const label = planLabel(plan, o.plan_id);
  const kind = o.top_up_of ? `${t('topUpRow', { tail: tail(o.top_up_of) })} · ` : subscription ? `${t('monthly')} · ` : '';
  return h('li', {},
    h('button', {
      type: 'button', class: 'row', dataset: { orderId: o.order_id, status: o.status },
      onclick: () => {
        haptic.select();
        nav.push(() => orderView(o.order_id, {
          plan, priceStars: o.price_stars, invoiceLink: o.invoice_link ?? '', autoOpen: false, subscription, topUp: o.top_up_of ?? '',
        }));
      },
    },
    h('span', { class: 'name' }, label,
      h('small', { text: `${kind}${t('createdAt', { date: date(o.created_at) })} · #${shortId(o.order_id)}` })),
    h('span', { class: `badge status-${o.status}`, text: t(`status_${o.status}`) }),
    h('span', { class: 'price', text: stars(o.price_stars) })));
}
