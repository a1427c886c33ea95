// Entry point: language, theme, tabs, Help (Telegram's Settings item), the
// startapp deep link, and an early sign-in check so that a forged or stale
// initData is reported before the buyer reaches "Buy".
import { api, errorText } from './api.js';
import { setLanguage, t } from './i18n.js';
import * as tg from './tg.js';
import * as nav from './nav.js';
import { catalogueView, openCountry } from './catalogue.js';
import { ordersView } from './orders.js';
import { helpView } from './help.js';
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

// Help opens from Telegram's menu (Settings); clients without that item get
// a Help button next to the tabs instead.
const showHelp = () => helpView();
function openHelp() {
  if (nav.top() === showHelp) return;
  tg.haptic.select();
  nav.push(showHelp);
}
if (!tg.settingsButton.init(openHelp)) {
  const help = document.getElementById('help-button');
  help.textContent = t('help');
  help.addEventListener('click', openHelp);
  help.hidden = false;
}

// A startapp link opens the app where it points: startapp=GB on that
// country's plans, startapp=esim_<ICCID or order id> on that eSIM in
// My eSIMs (the bot's low-data alerts link there).
function followStartParam(p) {
  if (/^[A-Za-z]{2}$/.test(p)) {
    openCountry(p.toUpperCase());
    return;
  }
  const esim = /^esim_([A-Za-z0-9-]{1,64})$/.exec(p);
  if (esim) nav.start('orders', () => ordersView({ focus: esim[1] }));
}
followStartParam(tg.startParam());

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
