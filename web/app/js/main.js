// Entry point: language, theme, tabs, and an early sign-in check so that a
// forged or stale initData is reported before the buyer reaches "Buy".
import { api, errorText } from './api.js';
import { setLanguage, t } from './i18n.js';
import * as tg from './tg.js';
import * as nav from './nav.js';
import { catalogueView } from './catalogue.js';
import { ordersView } from './orders.js';
import { hideBanner, showBanner } from './banner.js';

setLanguage(tg.user()?.language_code);
document.title = t('title');
tg.init();

const tabs = {
  catalogue: [document.getElementById('tab-catalogue'), 'tabCatalogue', catalogueView],
  orders: [document.getElementById('tab-orders'), 'tabOrders', ordersView],
};
for (const [name, [button, label, factory]] of Object.entries(tabs)) {
  button.textContent = t(label);
  button.addEventListener('click', () => {
    tg.haptic.select();
    nav.start(name, factory);
  });
}

nav.init({
  rootChanged(name) {
    for (const [key, [button]] of Object.entries(tabs)) {
      if (key === name) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
  },
});
nav.start('catalogue', catalogueView);

window.addEventListener('offline', () => showBanner(t('errOffline')));
window.addEventListener('online', () => {
  hideBanner();
  nav.refresh();
});

async function checkSignIn() {
  if (!tg.initData()) {
    showBanner(t('errNoTelegram'), 'info');
    return;
  }
  try {
    await api('/api/orders');
  } catch (err) {
    if (err.kind === 'unauthorized') showBanner(errorText(err));
  }
}
checkSignIn();
