// One page-level alert for problems that are not tied to a view (offline,
// forged initData); view-specific errors are shown inside the view.
import { t } from './i18n.js';

let closeWired = false;

export function showBanner(text, kind = 'error') {
  const el = document.getElementById('banner');
  document.getElementById('banner-text').textContent = text;
  el.dataset.kind = kind;
  el.hidden = false;
  if (!closeWired) {
    closeWired = true;
    const close = document.getElementById('banner-close');
    close.setAttribute('aria-label', t('dismiss'));
    close.addEventListener('click', hideBanner);
  }
}

export function hideBanner() {
  document.getElementById('banner').hidden = true;
}

let toastTimer;
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 1800);
}
