import { lang, t } from './i18n.js';

export function stars(n) {
  return `${new Intl.NumberFormat(lang).format(n)} ⭐`;
}

// usd formats the API's decimal string ("8.97") without going through a
// binary float; Intl accepts decimal strings exactly.
export function usd(s) {
  return new Intl.NumberFormat(lang, { style: 'currency', currency: 'USD' }).format(String(s));
}

export function data(plan) {
  if (plan.unlimited) return t('unlimited');
  const mb = Number(plan.data_mb);
  // eSIM Go counts 1 GB as 1000 MB.
  if (mb >= 1000) return t('gb', { n: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(mb / 1000) });
  return t('mb', { n: mb });
}

export function days(n) {
  return t('days', { n });
}

export function flag(iso) {
  if (!/^[A-Z]{2}$/.test(iso)) return '🌐';
  return String.fromCodePoint(...[...iso].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

let names;
export function countryName(iso) {
  try {
    names ??= new Intl.DisplayNames([lang], { type: 'region' });
    return names.of(iso) ?? iso;
  } catch {
    return iso;
  }
}

export function date(s) {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

// day is a date without the time, for subscription periods.
export function day(s) {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(d);
}

export function shortId(id) {
  return String(id).slice(0, 8);
}

// bytes formats a data amount as eSIM Go counts it (1 GB = 10^9 bytes):
// "2.1 GB", "350 MB".
export function bytes(n) {
  const v = Math.max(0, Number(n) || 0);
  if (v >= 999.5e6) return t('gb', { n: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(v / 1e9) });
  return t('mb', { n: new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(v / 1e6) });
}

// shortDate is "14 Jan" (with the year when it is not this year).
export function shortDate(s) {
  const d = new Date(s);
  if (!s || Number.isNaN(d.getTime())) return '';
  const opts = { day: 'numeric', month: 'short' };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return new Intl.DateTimeFormat(lang, opts).format(d);
}

// tail is the end of an ICCID, as the bot names an eSIM ("…1234").
export function tail(iccid) {
  return String(iccid ?? '').slice(-4);
}
