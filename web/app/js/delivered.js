// The delivered eSIM: QR code, one-tap install links, the two settings
// that fix most "no internet" questions, and the manual codes.
// The QR comes from the API with the Authorization header, so it is fetched
// as a blob and shown through a blob: URL (an <img src> cannot send headers).
import { api, errorText } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { haptic, openLink, platform } from './tg.js';
import { toast } from './banner.js';
import * as nav from './nav.js';
import { helpView } from './help.js';

// showQR fetches an order's QR into img and returns its blob: URL, or ''
// after showing the error in statusEl. The server answers 409 for a moment
// after the status turns fulfilled, so that is retried a few times.
export async function showQR(orderId, img, statusEl, isAlive) {
  for (let attempt = 0; ; attempt++) {
    try {
      const blob = await api(`/api/orders/${encodeURIComponent(orderId)}/qr.png`, { as: 'blob' });
      if (!isAlive()) return '';
      const url = URL.createObjectURL(blob);
      img.src = url;
      img.hidden = false;
      statusEl.hidden = true;
      return url;
    } catch (err) {
      if (!isAlive()) return '';
      if (err.kind === 'conflict' && attempt < 5) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      statusEl.textContent = errorText(err);
      return '';
    }
  }
}

export function iosInstallURL(lpa) {
  return `https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=${encodeURIComponent(lpa)}`;
}

// Android's handler takes the LPA string as it is (its characters are legal
// in a query), as Google documents the link.
export function androidInstallURL(lpa) {
  return `https://esimsetup.android.com/esim_qrcode_provisioning?carddata=${lpa}`;
}

export function deliveredSection(order) {
  const esim = order.esim;
  let blobURL = '';
  let alive = true;
  const img = h('img', { class: 'qr', alt: t('qrAlt'), width: 240, height: 240, hidden: true });
  const qrStatus = h('p', { class: 'muted', text: t('qrLoading') });

  const link = (text, url, current) => h('a', {
    href: url, class: current ? 'button primary' : 'button secondary', target: '_blank', rel: 'noopener noreferrer',
    onclick: (ev) => {
      ev.preventDefault();
      haptic.impact('light');
      openLink(url);
    },
  }, text);
  const p = platform();

  const el = h('div', { class: 'delivered' },
    h('h2', { text: t('installTitle') }),
    h('figure', { class: 'qr-box' }, img, qrStatus),
    h('p', { text: t('installHint') }),
    h('div', { class: 'install-links' },
      link(t('installIos'), iosInstallURL(esim.lpa), p === 'ios'),
      link(t('installAndroid'), androidInstallURL(esim.lpa), p === 'android')),
    h('div', { class: 'tips' },
      h('h2', { text: t('tipsTitle') }),
      h('ol', {}, h('li', { text: t('tipRoaming') }), h('li', { text: t('tipMobileData') })),
      h('button', { type: 'button', class: 'link-button more-help', onclick: () => nav.push(() => helpView({ open: 'internet' })) }, t('tipMore'))),
    h('h2', { text: t('manualTitle') }),
    h('dl', { class: 'codes' },
      codeRow(t('smdp'), esim.smdp_address, 'smdp'),
      codeRow(t('activationCode'), esim.matching_id, 'activation'),
      esim.iccid && [h('dt', { text: t('iccid') }), h('dd', {}, h('code', { text: esim.iccid }))]));

  showQR(order.order_id, img, qrStatus, () => alive).then((url) => {
    if (alive) blobURL = url;
    else if (url) URL.revokeObjectURL(url);
  });

  return {
    el,
    leave() {
      alive = false;
      if (blobURL) URL.revokeObjectURL(blobURL);
    },
  };
}

function codeRow(label, value, id) {
  return [
    h('dt', { id: `label-${id}`, text: label }),
    h('dd', {},
      h('code', { id: `code-${id}`, text: value }),
      h('button', {
        type: 'button', class: 'secondary copy', 'aria-label': t('copyLabel', { what: label }),
        onclick: () => copy(value),
      }, t('copy'))),
  ];
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Some Telegram webviews deny the async clipboard; the old path works there.
    const area = h('textarea', { readonly: true, class: 'offscreen' });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    if (!ok) {
      toast(t('copyFailed'));
      return;
    }
  }
  haptic.notify('success');
  toast(t('copied'));
}
