// Everything the app uses from Telegram.WebApp, behind functions that also
// work when the page is opened outside Telegram (no script, or no initData):
// the catalogue stays browsable and the MainButton falls back to an in-page
// button, while buying explains that it needs Telegram.

const WA = window.Telegram?.WebApp ?? null;

export function webApp() {
  return WA;
}

export function initData() {
  return WA?.initData || '';
}

export function user() {
  return WA?.initDataUnsafe?.user ?? null;
}

export function platform() {
  return WA?.platform ?? 'unknown';
}

// startParam is where the app was asked to open: start_param of a
// t.me/<bot>?startapp=… link, or the startapp query parameter of the URL a
// web_app button opens (the bot's alerts use those). It only steers
// navigation, so the unsigned copy is fine; anything the server decides
// reads the signed initData.
export function startParam() {
  const candidates = [WA?.initDataUnsafe?.start_param, new URLSearchParams(location.search).get('startapp')];
  for (const p of candidates) {
    if (typeof p === 'string' && /^[A-Za-z0-9_-]{1,512}$/.test(p)) return p;
  }
  return '';
}

function atLeast(v) {
  try {
    return !!WA?.isVersionAtLeast?.(v);
  } catch {
    return false;
  }
}

// applyTheme mirrors themeParams into --tg-theme-* CSS variables ourselves
// (Telegram's script does too) so that the app looks the same in older
// clients and in the simulator, and re-applies on themeChanged.
export function applyTheme() {
  const root = document.documentElement;
  const params = WA?.themeParams ?? {};
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === 'string' && /^#[0-9a-f]{3,8}$/i.test(value)) {
      root.style.setProperty(`--tg-theme-${key.replace(/_/g, '-')}`, value);
    }
  }
  const scheme = WA?.colorScheme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  root.dataset.scheme = scheme;
  if (atLeast('6.1')) {
    try {
      WA.setHeaderColor('secondary_bg_color');
      WA.setBackgroundColor(params.secondary_bg_color ?? params.bg_color ?? (scheme === 'dark' ? '#000000' : '#ffffff'));
    } catch {
      // Cosmetic only.
    }
  }
}

export function init(onThemeChanged) {
  applyTheme();
  if (!WA) return;
  WA.onEvent?.('themeChanged', () => {
    applyTheme();
    onThemeChanged?.();
  });
  WA.ready?.();
  WA.expand?.();
}

// onReturn calls fn when the buyer comes back to the app: Telegram's
// `activated` event (the Mini App restored from the minimised bar, Bot API
// 8.0) or the page becoming visible again. It returns a function that stops
// listening.
export function onReturn(fn) {
  const visible = () => {
    if (document.visibilityState === 'visible') fn();
  };
  document.addEventListener('visibilitychange', visible);
  WA?.onEvent?.('activated', fn);
  return () => {
    document.removeEventListener('visibilitychange', visible);
    WA?.offEvent?.('activated', fn);
  };
}

export const haptic = {
  impact(style = 'light') {
    if (atLeast('6.1')) WA.HapticFeedback.impactOccurred(style);
  },
  notify(type) {
    if (atLeast('6.1')) WA.HapticFeedback.notificationOccurred(type);
  },
  select() {
    if (atLeast('6.1')) WA.HapticFeedback.selectionChanged();
  },
};

export function canOpenInvoice() {
  return atLeast('6.1') && typeof WA.openInvoice === 'function';
}

export function openInvoice(link, onClosed) {
  WA.openInvoice(link, onClosed);
}

// confirm asks a yes/no question in Telegram's own popup (showConfirm,
// Bot API 6.2). It resolves true or false, or null when Telegram cannot
// show the popup (outside Telegram, an old client, or another popup is
// already open), and the caller then asks in the page instead.
export function confirm(message) {
  if (!atLeast('6.2') || typeof WA.showConfirm !== 'function') return Promise.resolve(null);
  return new Promise((resolve) => {
    try {
      WA.showConfirm(message, (ok) => resolve(!!ok));
    } catch {
      resolve(null);
    }
  });
}

// openLink leaves Telegram for the install pages: the eSIM setup URLs are
// handled by the phone's OS, not by an in-app browser.
export function openLink(url) {
  if (WA?.openLink) WA.openLink(url);
  else window.open(url, '_blank', 'noopener');
}

// openTelegramLink opens a t.me link inside Telegram (Bot API 6.1): the bot
// chat with a start parameter, for "Help with this order". Telegram shows
// the chat; the buyer's Start sends /start <parameter> to the bot.
export function openTelegramLink(url) {
  if (atLeast('6.1') && typeof WA.openTelegramLink === 'function') WA.openTelegramLink(url);
  else window.open(url, '_blank', 'noopener');
}

// MainButton: one handler at a time; views call set() on show and hide() on leave.
let mainHandler = null;
const fallback = () => document.getElementById('fallback-main');
const fallbackButton = () => document.getElementById('fallback-main-button');

function onMainClick() {
  mainHandler?.();
}

export const mainButton = {
  set({ text, onClick, active = true }) {
    mainHandler = onClick;
    if (WA?.MainButton) {
      WA.MainButton.offClick(onMainClick);
      WA.MainButton.onClick(onMainClick);
      WA.MainButton.hideProgress();
      WA.MainButton.setParams({ text, is_visible: true, is_active: active });
      return;
    }
    const btn = fallbackButton();
    btn.textContent = text;
    btn.disabled = !active;
    btn.onclick = onMainClick;
    btn.removeAttribute('aria-busy');
    fallback().hidden = false;
  },
  progress(on) {
    if (WA?.MainButton) {
      if (on) {
        WA.MainButton.showProgress(false);
        WA.MainButton.disable();
      } else {
        WA.MainButton.hideProgress();
        WA.MainButton.enable();
      }
      return;
    }
    const btn = fallbackButton();
    btn.disabled = on;
    if (on) btn.setAttribute('aria-busy', 'true');
    else btn.removeAttribute('aria-busy');
  },
  hide() {
    mainHandler = null;
    if (WA?.MainButton) {
      WA.MainButton.offClick(onMainClick);
      WA.MainButton.hideProgress();
      WA.MainButton.hide();
      return;
    }
    fallback().hidden = true;
  },
};

// SecondaryButton (Bot API 7.10) sits in Telegram's bottom bar with the
// MainButton. Older clients ignore it, so a view asks available() and
// draws its own button otherwise.
let secondaryHandler = null;
function onSecondaryClick() {
  secondaryHandler?.();
}

export const secondaryButton = {
  available() {
    return atLeast('7.10') && !!WA?.SecondaryButton;
  },
  set({ text, onClick, active = true, position = 'top' }) {
    if (!this.available()) return;
    secondaryHandler = onClick;
    const b = WA.SecondaryButton;
    b.offClick(onSecondaryClick);
    b.onClick(onSecondaryClick);
    b.hideProgress();
    b.setParams({ text, position, is_visible: true, is_active: active });
  },
  progress(on) {
    if (!this.available()) return;
    if (on) WA.SecondaryButton.showProgress(false);
    else WA.SecondaryButton.hideProgress();
  },
  active(on) {
    if (this.available()) WA.SecondaryButton.setParams({ is_active: on });
  },
  hide() {
    secondaryHandler = null;
    if (!this.available()) return;
    WA.SecondaryButton.offClick(onSecondaryClick);
    WA.SecondaryButton.hideProgress();
    WA.SecondaryButton.hide();
  },
};

// settingsButton shows the "Settings" item of Telegram's menu for the Mini
// App (Bot API 6.10) and calls onClick when it is chosen. It returns false
// where there is no such item, and the app then shows its own entry.
export const settingsButton = {
  init(onClick) {
    if (!atLeast('6.10') || !WA?.SettingsButton) return false;
    WA.SettingsButton.onClick(onClick);
    WA.SettingsButton.show();
    return true;
  },
};

// cloudStorage is Telegram's per-user key-value store (Bot API 6.9), kept
// on Telegram's servers so it follows the buyer to other devices. Both
// calls settle: get resolves null and set false when the client is too old,
// refuses or does not answer in time, so callers only lose a nicety.
const CLOUD_TIMEOUT_MS = 2000;
export const cloudStorage = {
  available() {
    return atLeast('6.9') && !!WA?.CloudStorage;
  },
  get(key) {
    return this.call((done) => WA.CloudStorage.getItem(key, (err, value) => done(err ? null : value ?? null)), null);
  },
  set(key, value) {
    return this.call((done) => WA.CloudStorage.setItem(key, value, (err, ok) => done(!err && !!ok)), false);
  },
  call(run, fallback) {
    if (!this.available()) return Promise.resolve(fallback);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(fallback), CLOUD_TIMEOUT_MS);
      const done = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
      try {
        run(done);
      } catch {
        done(fallback);
      }
    });
  },
};

export const backButton = {
  init(onBack) {
    if (atLeast('6.1')) WA.BackButton.onClick(onBack);
  },
  show(visible) {
    if (!atLeast('6.1')) return;
    if (visible) WA.BackButton.show();
    else WA.BackButton.hide();
  },
};
