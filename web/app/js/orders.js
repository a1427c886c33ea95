// "My eSIMs": the caller's orders, newest first, each opening its order view
// (status, QR again).
import { api } from './api.js';
import { h } from './dom.js';
import { data, date, days, shortId, stars } from './format.js';
import { t } from './i18n.js';
import { haptic } from './tg.js';
import * as nav from './nav.js';
import { errorBox, loadPlans } from './catalogue.js';
import { orderView } from './order.js';

export function ordersView() {
  const list = h('div', {}, h('p', { class: 'muted', text: t('loading') }));
  const el = h('section', { class: 'orders' }, h('h1', { text: t('tabOrders') }), list);
  let alive = true;

  async function load() {
    try {
      const [orders, plans] = await Promise.all([api('/api/orders'), loadPlans().catch(() => [])]);
      if (!alive) return;
      const byId = new Map(plans.map((p) => [p.id, p]));
      if (!orders.length) {
        list.replaceChildren(h('p', { class: 'muted', text: t('noOrders') }),
          h('button', { type: 'button', class: 'secondary', onclick: () => document.getElementById('tab-catalogue').click() }, t('browse')));
        return;
      }
      list.replaceChildren(h('ul', { class: 'rows' }, orders.map((o) => orderRow(o, byId.get(o.plan_id)))));
    } catch (err) {
      if (alive) list.replaceChildren(errorBox(err, () => nav.refresh()));
    }
  }

  return {
    el,
    enter() { load(); },
    leave() { alive = false; },
  };
}

function orderRow(o, plan) {
  const label = plan ? `${data(plan)} · ${days(plan.duration_days)}` : o.plan_id;
  return h('li', {},
    h('button', {
      type: 'button', class: 'row', dataset: { orderId: o.order_id, status: o.status },
      onclick: () => {
        haptic.select();
        nav.push(() => orderView(o.order_id, { plan, priceStars: o.price_stars, invoiceLink: o.invoice_link ?? '', autoOpen: false }));
      },
    },
    h('span', { class: 'name' }, label, h('small', { text: `${t('createdAt', { date: date(o.created_at) })} · #${shortId(o.order_id)}` })),
    h('span', { class: `badge status-${o.status}`, text: t(`status_${o.status}`) }),
    h('span', { class: 'price', text: stars(o.price_stars) })));
}
