// One eSIM in "My eSIMs", from GET /api/esims: whether it is on the phone,
// what is left of each plan on it ("2.1 GB of 3 GB left · until 14 Jan"),
// and what to do next: install it while it is not installed, top it up,
// or read why it cannot be used any more.
import { h } from './dom.js';
import { bytes, countryName, data, days, flag, shortDate, tail } from './format.js';
import { t } from './i18n.js';
import { regionLabel } from './catalogue.js';

// Plan states in which the eSIM still has data to use, now or later.
const USABLE = new Set(['processing', 'queued', 'active']);
const INSTALL_STATES = new Set(['not_installed', 'installed', 'removed']);

// esimCard renders esim. plans maps plan ids (eSIM Go bundle names) to the
// catalogue's plans; installOrder is the order whose QR installs it (''
// when unknown); focused marks the card a startapp link pointed at.
export function esimCard(esim, { plans = new Map(), installOrder = '', focused = false, onInstall, onTopUp } = {}) {
  const state = INSTALL_STATES.has(esim.install_state) ? esim.install_state : 'not_installed';
  const bundles = esim.bundles ?? [];
  const first = plans.get(esim.plan_id) ?? bundles.map((b) => plans.get(b.name)).find(Boolean) ?? null;
  const usable = bundles.some((b) => USABLE.has(b.state));
  const usedUp = !usable && bundles.some((b) => b.state === 'depleted');

  let note = '';
  if (state === 'removed') note = t('esimRemovedNote');
  else if (usedUp) note = t('esimUsedUpNote');
  else if (bundles.length && !usable) note = t('esimEndedNote');
  else if (state === 'not_installed') note = t('esimNotInstalledNote');

  const name = esimName(esim, first);
  const actions = [];
  if (state === 'not_installed' && installOrder) {
    actions.push(h('button', {
      type: 'button', class: 'primary install', 'aria-label': t('installLabel', { tail: tail(esim.iccid) }),
      onclick: () => onInstall?.(esim, installOrder),
    }, t('installAction')));
  }
  if (state !== 'removed') {
    actions.push(h('button', {
      type: 'button', class: `${state === 'installed' ? 'primary' : 'secondary'} top-up`,
      'aria-label': t('topUpLabel', { tail: tail(esim.iccid) }), onclick: () => onTopUp?.(esim),
    }, t('topUp')));
  }

  const el = h('article', {
    class: focused ? 'esim focused' : 'esim', tabindex: focused ? '-1' : undefined,
    dataset: { iccid: esim.iccid, installState: state },
  },
  h('header', { class: 'esim-head' },
    h('span', { class: 'flag', 'aria-hidden': 'true' }, name.flag),
    h('span', { class: 'name' }, name.text, h('small', { text: t('esimTail', { tail: tail(esim.iccid) }) })),
    h('span', { class: `badge install-${state}`, text: t(`install_${state}`) })),
  note && h('p', { class: 'esim-note', text: note }),
  bundles.length
    ? h('ul', { class: 'bundles' }, bundles.map((b) => bundleItem(b, plans.get(b.name))))
    : h('p', { class: 'muted', text: t('noBundles') }),
  actions.length > 0 && h('div', { class: 'esim-actions' }, actions));
  return el;
}

// esimName says where the eSIM works: the country of a single-country plan
// in the buyer's language, else the plan's area, else the store's plan name.
function esimName(esim, plan) {
  const isos = plan?.countries ?? [];
  if (isos.length === 1) return { flag: flag(isos[0]), text: countryName(isos[0]) };
  return { flag: '🌐', text: plan ? regionLabel(plan) : esim.plan_name || t('esimTail', { tail: tail(esim.iccid) }) };
}

function bundleItem(b, plan) {
  const label = plan ? `${data(plan)} · ${days(plan.duration_days)}` : (b.plan_name || b.description || b.name);
  const line = bundleLine(b);
  const initial = Number(b.initial_bytes) || 0;
  const metered = !b.unlimited && initial > 0 && (b.state === 'active' || b.state === 'depleted');
  const remaining = b.state === 'depleted' ? 0 : Math.min(initial, Math.max(0, Number(b.remaining_bytes) || 0));
  return h('li', { class: 'bundle', dataset: { state: b.state || 'unknown', bundle: b.name } },
    h('div', { class: 'bundle-head' },
      h('span', { class: 'bundle-name', text: label }),
      h('span', { class: `bundle-state state-${b.state}`, text: t(`bundle_${b.state}`) })),
    metered && h('progress', { class: 'data-left', max: String(initial), value: String(remaining), 'aria-label': line }),
    h('p', { class: 'bundle-line', text: line }));
}

// bundleLine is the plan's data and time in words.
function bundleLine(b) {
  const until = shortDate(b.ends_at);
  const total = bytes(b.initial_bytes);
  const withUntil = (s) => (until ? `${s} · ${t('until', { date: until })}` : s);
  switch (b.state) {
    case 'expired': return until ? t('endedOn', { date: until }) : t('ended');
    case 'lapsed': return t('lapsedText');
    case 'revoked': return t('revokedText');
    case 'depleted': return t('dataUsedUp', { total });
    case 'processing':
    case 'queued': return `${b.unlimited ? t('unlimited') : t('allLeft', { total })} · ${t('notStarted')}`;
    default:
      if (b.unlimited) return withUntil(t('unlimited'));
      return withUntil(t('dataLeft', { left: bytes(b.remaining_bytes), total }));
  }
}
