// Catalogue: the buyer's recent countries, then destinations (countries and
// regions) with search, then the plans of one destination. Plans are fetched
// once per app session; the server caches the eSIM Go catalogue, and prices
// only change on its sync.
import { api, errorText } from './api.js';
import { h } from './dom.js';
import { countryName, data, days, flag, stars, usd } from './format.js';
import { t } from './i18n.js';
import { haptic } from './tg.js';
import * as nav from './nav.js';
import { planView } from './plan.js';
import { recentCountries, remember } from './recent.js';

let plansPromise = null;
let query = '';

export function loadPlans() {
  plansPromise ??= api('/api/plans', { auth: false }).catch((err) => {
    plansPromise = null; // a later visit retries
    throw err;
  });
  return plansPromise;
}

export function catalogueView() {
  const list = h('div', { class: 'destinations' }, h('p', { class: 'muted' }, t('loading')));
  const search = h('input', {
    type: 'search', id: 'search', value: query, placeholder: t('searchPlaceholder'), autocomplete: 'off', enterkeyhint: 'search',
  });
  const el = h('section', { class: 'catalogue' },
    h('h1', { text: t('title') }),
    h('label', { for: 'search', class: 'label' }, t('searchLabel')),
    search,
    list);

  let dests = null;
  let recent = [];
  const render = () => {
    if (dests) list.replaceChildren(...destinationList(dests, query, recent));
  };
  search.addEventListener('input', () => {
    query = search.value;
    render();
  });

  return {
    el,
    enter() {
      loadPlans().then((plans) => {
        dests = destinations(plans);
        render();
      }, (err) => {
        list.replaceChildren(errorBox(err, () => nav.refresh()));
      });
      // Recent countries arrive on their own time (Telegram's cloud); the
      // list does not wait for them.
      recentCountries().then((isos) => {
        recent = isos;
        render();
      });
    },
  };
}

export function errorBox(err, retry) {
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', { text: errorText(err) }),
    retry && h('button', { type: 'button', class: 'secondary', onclick: retry }, t('retry')));
}

// destinations groups plans into single countries (every country that any
// plan covers, so that "Portugal" is findable even if only regional plans
// include it) and multi-country regions.
export function destinations(plans) {
  const countries = new Map();
  const regions = new Map();
  const country = (iso) => {
    if (!countries.has(iso)) countries.set(iso, { iso, name: countryName(iso), own: [], regional: [] });
    return countries.get(iso);
  };
  for (const p of plans) {
    const isos = p.countries ?? [];
    if (isos.length === 1) {
      country(isos[0]).own.push(p);
      continue;
    }
    for (const iso of isos) country(iso).regional.push(p);
    const key = regionLabel(p);
    if (!regions.has(key)) regions.set(key, { key, name: key, countries: new Set(), plans: [] });
    const r = regions.get(key);
    r.plans.push(p);
    isos.forEach((iso) => r.countries.add(iso));
  }
  const byName = (a, b) => a.name.localeCompare(b.name);
  return {
    countries: [...countries.values()].sort(byName),
    regions: [...regions.values()].sort(byName),
  };
}

// regionLabel names a multi-country plan. eSIM Go descriptions end in the
// area ("eSIM, 5GB, 30 Days, Europe+, V2"), which is more precise than the
// continent in plan.region.
export function regionLabel(p) {
  const m = /,\s*([^,]+),\s*V\d+\s*$/.exec(p.description ?? '');
  if (m) return m[1].trim();
  if (p.region) return p.region;
  return t('countriesCount', { n: p.countries.length });
}

function minStars(plans) {
  return Math.min(...plans.map((p) => p.price_stars));
}

const fold = (s) => s.toLocaleLowerCase().normalize('NFD').replace(/\p{Diacritic}/gu, '');
// Buyers type English names too ("Germany" in the Russian UI).
const english = new Intl.DisplayNames(['en'], { type: 'region' });
function matches(q, ...names) {
  return names.some((n) => fold(n).includes(q));
}

function destinationList(d, rawQuery, recentIsos = []) {
  const q = fold(rawQuery.trim());
  const countries = d.countries.filter((c) => !q || matches(q, c.name, c.iso, english.of(c.iso) ?? ''));
  const regions = d.regions.filter((r) => !q || matches(q, r.name, ...[...r.countries].map(countryName)));
  if (!d.countries.length && !d.regions.length) return [h('p', { class: 'muted', text: t('noPlans') })];
  if (!countries.length && !regions.length) return [h('p', { class: 'muted', text: t('nothingFound', { q: rawQuery.trim() }) })];
  const out = [];
  const recent = q ? [] : recentIsos.map((iso) => d.countries.find((c) => c.iso === iso)).filter(Boolean);
  if (recent.length) {
    out.push(h('h2', { text: t('recent') }), h('ul', { class: 'rows recent' }, recent.map((c) => h('li', {},
      h('button', { type: 'button', class: 'row', dataset: { recentIso: c.iso }, onclick: () => open(() => countryView(c)) },
        h('span', { class: 'flag', 'aria-hidden': 'true' }, flag(c.iso)),
        h('span', { class: 'name', text: c.name }),
        h('span', { class: 'price', text: t('fromPrice', { stars: stars(minStars([...c.own, ...c.regional])) }) }))))));
  }
  if (regions.length) {
    out.push(h('h2', { text: t('regions') }), h('ul', { class: 'rows' }, regions.map((r) => h('li', {},
      h('button', { type: 'button', class: 'row', dataset: { region: r.key }, onclick: () => open(() => regionView(r)) },
        h('span', { class: 'flag', 'aria-hidden': 'true' }, '🌐'),
        h('span', { class: 'name' }, r.name, h('small', { text: t('countriesCount', { n: r.countries.size }) })),
        h('span', { class: 'price', text: t('fromPrice', { stars: stars(minStars(r.plans)) }) }))))));
  }
  if (countries.length) {
    out.push(h('h2', { text: t('countries') }), h('ul', { class: 'rows' }, countries.map((c) => h('li', {},
      h('button', { type: 'button', class: 'row', dataset: { iso: c.iso }, onclick: () => open(() => countryView(c)) },
        h('span', { class: 'flag', 'aria-hidden': 'true' }, flag(c.iso)),
        h('span', { class: 'name', text: c.name }),
        h('span', { class: 'price', text: t('fromPrice', { stars: stars(minStars([...c.own, ...c.regional])) }) }))))));
  }
  return out;
}

function open(factory) {
  haptic.select();
  nav.push(factory);
}

// openCountry shows one country's plans, as a startapp=GB link asks. An
// unknown code leaves the buyer on the catalogue.
export async function openCountry(iso) {
  try {
    const c = destinations(await loadPlans()).countries.find((x) => x.iso === iso);
    if (c) nav.push(() => countryView(c));
  } catch {
    // The catalogue shows the error itself.
  }
}

function countryView(c) {
  const el = h('section', { class: 'country', dataset: { iso: c.iso } },
    h('h1', {}, h('span', { 'aria-hidden': 'true' }, `${flag(c.iso)} `), t('plansFor', { name: c.name })),
    planCards(c.own),
    c.regional.length > 0 && [h('h2', { text: t('regionalPlans', { name: c.name }) }), planCards(c.regional, true)]);
  return {
    el,
    enter() {
      remember(c.iso);
    },
  };
}

function regionView(r) {
  const el = h('section', {},
    h('h1', { text: t('plansFor', { name: r.name }) }),
    h('p', { class: 'muted', text: [...r.countries].map(countryName).sort().join(', ') }),
    planCards(r.plans));
  return { el };
}

function planCards(plans, showArea = false) {
  const sorted = [...plans].sort((a, b) => a.price_stars - b.price_stars);
  return h('ul', { class: 'plan-cards' }, sorted.map((p) => h('li', {},
    h('button', { type: 'button', class: 'plan-card', dataset: { planId: p.id }, onclick: () => open(() => planView(p)) },
      h('span', { class: 'plan-data', text: data(p) }),
      h('span', { class: 'plan-days', text: days(p.duration_days) }),
      showArea && h('span', { class: 'plan-area', text: regionLabel(p) }),
      h('span', { class: 'plan-price' },
        h('strong', { text: stars(p.price_stars) }),
        h('small', { text: t('approxUsd', { usd: usd(p.price_usd) }) }))))));
}
