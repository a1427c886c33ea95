// The store's HTTP API (docs/architecture.md#http-contract). Every failure becomes an
// ApiError with a kind the views turn into a human message, so no view has
// to know about status codes.
import { initData } from './tg.js';
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(kind, { status = 0, code = '', message = '', retryAfter = 0 } = {}) {
    super(message || kind);
    this.kind = kind; // offline | timeout | unauthorized | no_telegram | not_found | conflict | invalid | rate_limited | server | unknown
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter; // seconds, from Retry-After; 0 when absent
  }
}

const TIMEOUT_MS = 15000;

export async function api(path, { method = 'GET', body, auth = true, headers = {}, as = 'json' } = {}) {
  const h = { Accept: as === 'json' ? 'application/json' : '*/*', ...headers };
  if (auth) {
    const raw = initData();
    if (!raw) throw new ApiError('no_telegram');
    h.Authorization = `tma ${raw}`;
  }
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (!navigator.onLine) throw new ApiError('offline');
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiError(err?.name === 'TimeoutError' ? 'timeout' : 'offline', { message: String(err?.message ?? err) });
  }
  if (res.ok) return as === 'blob' ? res.blob() : res.status === 204 ? null : res.json();
  let payload = {};
  try {
    payload = await res.json();
  } catch {
    // Proxies answer HTML; the status alone decides then.
  }
  throw new ApiError(kindOf(res.status), {
    status: res.status, code: payload.error ?? '', message: payload.message ?? '',
    retryAfter: retryAfterSeconds(res.headers.get('Retry-After')),
  });
}

// retryAfterSeconds reads Retry-After in its delay-seconds form (the store
// never sends a date); anything else counts as absent.
function retryAfterSeconds(value) {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function kindOf(status) {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 413 || status === 422) return 'invalid';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'unknown';
}

// errorText is the message a buyer sees for any error.
export function errorText(err, { notFound = 'errNotFound' } = {}) {
  const kind = err instanceof ApiError ? err.kind : 'unknown';
  switch (kind) {
    case 'offline': return t('errOffline');
    case 'timeout': return t('errTimeout');
    case 'unauthorized': return t('errUnauthorized');
    case 'no_telegram': return t('errNoTelegram');
    case 'not_found': return t(err.code === 'esim_not_found' ? 'errEsimNotFound' : notFound);
    case 'rate_limited':
      // 429 has two causes: too many unpaid orders (waiting does not help
      // until one is paid or expires) and going too fast (it does).
      if (err.code === 'too_many_open_orders') return t('errTooManyOpenOrders');
      return err.retryAfter > 0 ? t('errRateLimitedWait', { n: err.retryAfter }) : t('errRateLimited');
    case 'server': return t(err.code === 'sales_paused' ? 'errSalesPaused' : 'errServer');
    case 'conflict':
      if (err.code === 'incompatible') return t('errIncompatible');
      return t('errInvalid', { message: err.message || err.code });
    case 'invalid': return t('errInvalid', { message: err.message || err.code });
    default: return t('errUnknown', { message: err?.message ?? String(err) });
  }
}

// newIdempotencyKey is a UUID per Buy tap: a retried request (flaky
// network, double tap that slipped through) creates at most one order.
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
