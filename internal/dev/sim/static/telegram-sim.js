// A fake Telegram.WebApp for the sandbox simulator. It is loaded by the Mini
// App page in place of telegram.org's script (sim serves /sim/app/ with the
// URL swapped) and speaks the same protocol as the real client on the web:
// launch parameters in the URL hash (tgWebAppData, tgWebAppThemeParams, …),
// web_app_* requests posted to the parent frame, events posted back. So the
// app runs the same code in the simulator as in Telegram.
(function () {
  'use strict';

  const hash = new URLSearchParams(location.hash.slice(1));
  const initData = hash.get('tgWebAppData') || '';
  const version = hash.get('tgWebAppVersion') || '8.0';
  const platform = hash.get('tgWebAppPlatform') || 'unknown';
  let themeParams = {};
  try {
    themeParams = JSON.parse(hash.get('tgWebAppThemeParams') || '{}');
  } catch (e) {
    themeParams = {};
  }

  function parseInitData(raw) {
    const out = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      if (k === 'user' || k === 'receiver' || k === 'chat') {
        try { out[k] = JSON.parse(v); } catch (e) { /* left out, as Telegram's script does */ }
      } else if (k === 'auth_date' || k === 'can_send_after') {
        out[k] = Number(v);
      } else {
        out[k] = v;
      }
    }
    return out;
  }

  const handlers = {};
  function emit(name, ...args) {
    for (const fn of handlers[name] || []) {
      try { fn.apply(WebApp, args); } catch (e) { console.error(e); }
    }
  }

  function post(eventType, eventData) {
    window.parent.postMessage({ simTelegram: true, eventType, eventData: eventData || {} }, location.origin);
  }

  function versionAtLeast(v) {
    const a = version.split('.').map(Number);
    const b = String(v).split('.').map(Number);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = a[i] || 0;
      const y = b[i] || 0;
      if (x !== y) return x > y;
    }
    return true;
  }

  function luminance(hex) {
    const m = /^#?([0-9a-f]{6})$/i.exec(hex || '');
    if (!m) return 1;
    const n = parseInt(m[1], 16);
    return (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  }

  function setCSSVars() {
    const style = document.documentElement.style;
    for (const [k, v] of Object.entries(themeParams)) {
      style.setProperty(`--tg-theme-${k.replace(/_/g, '-')}`, v);
    }
    style.setProperty('--tg-color-scheme', WebApp.colorScheme);
  }

  function button(kind) {
    const b = {
      text: kind === 'main' ? 'Continue' : '',
      // Unset colours follow the theme, as in Telegram.
      color: undefined,
      textColor: undefined,
      isVisible: false,
      isActive: true,
      isProgressVisible: false,
      setText(text) { return b.setParams({ text }); },
      onClick(fn) { WebApp.onEvent('mainButtonClicked', fn); return b; },
      offClick(fn) { WebApp.offEvent('mainButtonClicked', fn); return b; },
      show() { return b.setParams({ is_visible: true }); },
      hide() { return b.setParams({ is_visible: false }); },
      enable() { return b.setParams({ is_active: true }); },
      disable() { return b.setParams({ is_active: false }); },
      showProgress(leaveActive) {
        b.isProgressVisible = true;
        if (!leaveActive) b.isActive = false;
        return sync();
      },
      hideProgress() { b.isProgressVisible = false; return sync(); },
      setParams(p) {
        if ('text' in p) b.text = String(p.text).trim();
        if ('color' in p) b.color = p.color;
        if ('text_color' in p) b.textColor = p.text_color;
        if ('is_visible' in p) b.isVisible = !!p.is_visible;
        if ('is_active' in p) b.isActive = !!p.is_active;
        return sync();
      },
    };
    function sync() {
      post('web_app_setup_main_button', {
        is_visible: b.isVisible, is_active: b.isActive, is_progress_visible: b.isProgressVisible,
        text: b.text, color: b.color, text_color: b.textColor,
      });
      return b;
    }
    return b;
  }

  const BackButton = {
    isVisible: false,
    onClick(fn) { WebApp.onEvent('backButtonClicked', fn); return BackButton; },
    offClick(fn) { WebApp.offEvent('backButtonClicked', fn); return BackButton; },
    show() { BackButton.isVisible = true; post('web_app_setup_back_button', { is_visible: true }); return BackButton; },
    hide() { BackButton.isVisible = false; post('web_app_setup_back_button', { is_visible: false }); return BackButton; },
  };

  const HapticFeedback = {
    impactOccurred(style) { post('web_app_trigger_haptic_feedback', { type: 'impact', impact_style: style }); return HapticFeedback; },
    notificationOccurred(type) { post('web_app_trigger_haptic_feedback', { type: 'notification', notification_type: type }); return HapticFeedback; },
    selectionChanged() { post('web_app_trigger_haptic_feedback', { type: 'selection_change' }); return HapticFeedback; },
  };

  let openInvoice = null; // {url, callback}
  let popup = null; // {callback}

  const WebApp = {
    initData,
    initDataUnsafe: parseInitData(initData),
    version,
    platform,
    themeParams,
    colorScheme: luminance(themeParams.bg_color) < 0.5 ? 'dark' : 'light',
    isExpanded: true,
    viewportHeight: window.innerHeight,
    viewportStableHeight: window.innerHeight,
    headerColor: themeParams.bg_color,
    backgroundColor: themeParams.bg_color,
    isClosingConfirmationEnabled: false,
    MainButton: button('main'),
    BackButton,
    HapticFeedback,
    isVersionAtLeast: versionAtLeast,
    onEvent(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
    offEvent(name, fn) { handlers[name] = (handlers[name] || []).filter((h) => h !== fn); },
    ready() { post('web_app_ready'); },
    expand() { post('web_app_expand'); },
    close() { post('web_app_close'); },
    setHeaderColor(c) { WebApp.headerColor = c; post('web_app_set_header_color', { color_key: c }); },
    setBackgroundColor(c) { WebApp.backgroundColor = c; post('web_app_set_background_color', { color: c }); },
    enableClosingConfirmation() { WebApp.isClosingConfirmationEnabled = true; },
    disableClosingConfirmation() { WebApp.isClosingConfirmationEnabled = false; },
    openLink(url) { post('web_app_open_link', { url }); },
    // Telegram accepts only https://t.me links and hands the client the path.
    openTelegramLink(url) {
      const a = new URL(url, location.href);
      if ((a.protocol !== 'https:' && a.protocol !== 'http:') || a.hostname !== 't.me') throw new Error('WebAppTgUrlInvalid');
      post('web_app_open_tg_link', { path_full: a.pathname + a.search });
    },
    openInvoice(url, callback) {
      // Telegram refuses a second sheet while one is open.
      if (openInvoice) throw new Error('WebAppInvoiceOpened');
      openInvoice = { url, callback };
      post('web_app_open_invoice', { url });
    },
    // Popups are drawn by the simulator page (web_app_open_popup), like
    // Telegram draws them outside the webview; the answer comes back as
    // popup_closed. The checks are Telegram's own.
    showPopup(params, callback) {
      if (!versionAtLeast('6.2')) throw new Error('WebAppMethodUnsupported');
      if (popup) throw new Error('WebAppPopupOpened');
      const title = String((params && params.title) || '').trim();
      const message = String((params && params.message) || '').trim();
      const buttons = (params && params.buttons) || [{ type: 'close' }];
      if (title.length > 64 || !message || message.length > 256 || !buttons.length || buttons.length > 3) {
        throw new Error('WebAppPopupParamInvalid');
      }
      popup = { callback };
      post('web_app_open_popup', {
        title,
        message,
        buttons: buttons.map((b) => ({ id: String(b.id || ''), type: b.type || 'default', text: String(b.text || '').trim() })),
      });
    },
    showAlert(message, callback) {
      WebApp.showPopup({ message, buttons: [{ type: 'close' }] }, () => { if (callback) callback(); });
    },
    showConfirm(message, callback) {
      WebApp.showPopup({ message, buttons: [{ id: 'ok', type: 'ok' }, { type: 'cancel' }] }, (id) => {
        if (callback) callback(id === 'ok');
      });
    },
    sendData() { throw new Error('WebAppMethodUnsupported'); },
  };

  window.addEventListener('message', (ev) => {
    if (ev.origin !== location.origin || ev.source !== window.parent || !ev.data || !ev.data.simTelegram) return;
    const { eventType, eventData = {} } = ev.data;
    switch (eventType) {
      case 'invoice_closed': {
        const pending = openInvoice;
        openInvoice = null;
        if (pending && pending.callback) pending.callback(eventData.status);
        emit('invoiceClosed', { url: eventData.url, status: eventData.status });
        break;
      }
      case 'popup_closed': {
        const pending = popup;
        popup = null;
        const id = eventData.button_id || '';
        if (pending && pending.callback) pending.callback(id);
        emit('popupClosed', { button_id: id });
        break;
      }
      case 'theme_changed':
        themeParams = eventData.theme_params || {};
        WebApp.themeParams = themeParams;
        WebApp.colorScheme = luminance(themeParams.bg_color) < 0.5 ? 'dark' : 'light';
        setCSSVars();
        emit('themeChanged');
        break;
      case 'main_button_pressed':
        if (WebApp.MainButton.isActive) emit('mainButtonClicked');
        break;
      case 'back_button_pressed':
        emit('backButtonClicked');
        break;
      default:
    }
  });

  setCSSVars();
  window.Telegram = { WebApp, WebView: { initParams: Object.fromEntries(hash) } };
})();
