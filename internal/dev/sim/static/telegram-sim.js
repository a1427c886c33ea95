// A fake Telegram.WebApp for the sandbox simulator. It is loaded by the Mini
// App page in place of telegram.org's script (sim serves /sim/app/ with the
// URL swapped) and speaks the same protocol as the real client on the web:
// launch parameters in the URL hash (tgWebAppData, tgWebAppVersion,
// tgWebAppThemeParams, …), web_app_* requests posted to the parent frame,
// events posted back. So the app runs the same code in the simulator as in
// Telegram. Where Telegram's script checks a version or a parameter, this
// one does the same check and fails the same way, so an app that works here
// does not throw in an older or stricter client.
(function () {
  'use strict';

  const hash = new URLSearchParams(location.hash.slice(1));
  const initData = hash.get('tgWebAppData') || '';
  const version = hash.get('tgWebAppVersion') || '6.0';
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

  function parseColor(c) {
    const m = /^\s*#([0-9a-f]{6}|[0-9a-f]{3})\s*$/i.exec(String(c));
    if (!m) return false;
    const h = m[1].length === 3 ? m[1].replace(/./g, '$&$&') : m[1];
    return `#${h.toLowerCase()}`;
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

  // The bottom bar's buttons (MainButton, and SecondaryButton from Bot API
  // 7.10), with the checks of Telegram's script: text 1–64 characters and
  // required to show the button, colours in #rrggbb, a secondary button's
  // position one of left/right/top/bottom. Like the real script it posts
  // only changes, and SecondaryButton exists in every version: an older
  // client simply ignores web_app_setup_secondary_button.
  function bottomButton(kind) {
    const main = kind === 'main';
    const setupEvent = main ? 'web_app_setup_main_button' : 'web_app_setup_secondary_button';
    const clickEvent = main ? 'mainButtonClicked' : 'secondaryButtonClicked';
    let text = main ? 'Continue' : 'Cancel';
    let color = false;
    let textColor = false;
    let isVisible = false;
    let isActive = true;
    let isProgressVisible = false;
    let hasShineEffect = false;
    let position = 'left';
    let lastState = null;
    const b = {};
    Object.defineProperties(b, {
      type: { get: () => kind, enumerable: true },
      text: { get: () => text, set: (v) => b.setParams({ text: v }), enumerable: true },
      color: {
        get: () => color || (main ? themeParams.button_color || '#2481cc' : themeParams.bottom_bar_bg_color || themeParams.secondary_bg_color || '#ffffff'),
        set: (v) => b.setParams({ color: v }), enumerable: true,
      },
      textColor: {
        get: () => textColor || (main ? themeParams.button_text_color || '#ffffff' : themeParams.button_color || '#2481cc'),
        set: (v) => b.setParams({ text_color: v }), enumerable: true,
      },
      isVisible: { get: () => isVisible, set: (v) => b.setParams({ is_visible: v }), enumerable: true },
      isActive: { get: () => isActive, set: (v) => b.setParams({ is_active: v }), enumerable: true },
      isProgressVisible: { get: () => isProgressVisible, enumerable: true },
      hasShineEffect: { get: () => hasShineEffect, set: (v) => b.setParams({ has_shine_effect: v }), enumerable: true },
    });
    if (!main) {
      Object.defineProperty(b, 'position', { get: () => position, set: (v) => b.setParams({ position: v }), enumerable: true });
    }
    function invalid(why, value) {
      console.error(`[Telegram.WebApp] Bottom button ${why}`, value);
      throw new Error('WebAppBottomButtonParamInvalid');
    }
    function update() {
      const params = isVisible ? {
        is_visible: true, is_active: isActive, is_progress_visible: isProgressVisible, text,
        color: b.color, text_color: b.textColor, has_shine_effect: hasShineEffect && isActive && !isProgressVisible,
      } : { is_visible: false };
      if (isVisible && !main) params.position = position;
      const state = JSON.stringify(params);
      if (state === lastState) return;
      lastState = state;
      post(setupEvent, params);
    }
    b.setParams = function (p) {
      if (p.text !== undefined) {
        const t = String(p.text).trim();
        if (!t.length) invalid('text is required', p.text);
        if (t.length > 64) invalid('text is too long', t);
        text = t;
      }
      if (p.color !== undefined) {
        if (p.color === false || p.color === null) color = false;
        else color = parseColor(p.color) || invalid('color format is invalid', p.color);
      }
      if (p.text_color !== undefined) {
        if (p.text_color === false || p.text_color === null) textColor = false;
        else textColor = parseColor(p.text_color) || invalid('text color format is invalid', p.text_color);
      }
      if (p.is_visible !== undefined) {
        if (p.is_visible && !text.length) invalid('text is required');
        isVisible = !!p.is_visible;
      }
      if (p.has_shine_effect !== undefined) hasShineEffect = !!p.has_shine_effect;
      if (!main && p.position !== undefined) {
        if (!['left', 'right', 'top', 'bottom'].includes(p.position)) invalid('position is invalid', p.position);
        position = p.position;
      }
      if (p.is_active !== undefined) isActive = !!p.is_active;
      update();
      return b;
    };
    b.setText = (t) => b.setParams({ text: t });
    b.onClick = (fn) => { WebApp.onEvent(clickEvent, fn); return b; };
    b.offClick = (fn) => { WebApp.offEvent(clickEvent, fn); return b; };
    b.show = () => b.setParams({ is_visible: true });
    b.hide = () => b.setParams({ is_visible: false });
    b.enable = () => b.setParams({ is_active: true });
    b.disable = () => b.setParams({ is_active: false });
    b.showProgress = (leaveActive) => {
      isActive = !!leaveActive;
      isProgressVisible = true;
      update();
      return b;
    };
    // As in Telegram's script, hiding the progress re-enables the button.
    b.hideProgress = () => {
      isActive = true;
      isProgressVisible = false;
      update();
      return b;
    };
    pressed[kind] = () => { if (isActive) emit(clickEvent); };
    return b;
  }
  const pressed = {};

  const BackButton = {
    isVisible: false,
    onClick(fn) { WebApp.onEvent('backButtonClicked', fn); return BackButton; },
    offClick(fn) { WebApp.offEvent('backButtonClicked', fn); return BackButton; },
    show() { BackButton.isVisible = true; post('web_app_setup_back_button', { is_visible: true }); return BackButton; },
    hide() { BackButton.isVisible = false; post('web_app_setup_back_button', { is_visible: false }); return BackButton; },
  };

  // SettingsButton (Bot API 6.10): the "Settings" item of the Mini App's
  // menu. Below 6.10 Telegram's script only warns and does nothing.
  const SettingsButton = (function () {
    let isVisible = false;
    let lastState = null;
    const sb = {};
    Object.defineProperty(sb, 'isVisible', { get: () => isVisible, set: (v) => setVisible(v), enumerable: true });
    function supported() {
      if (versionAtLeast('6.10')) return true;
      console.warn(`[Telegram.WebApp] SettingsButton is not supported in version ${version}`);
      return false;
    }
    function setVisible(v) {
      if (!supported()) return sb;
      isVisible = !!v;
      const state = String(isVisible);
      if (state !== lastState) {
        lastState = state;
        post('web_app_setup_settings_button', { is_visible: isVisible });
      }
      return sb;
    }
    sb.show = () => setVisible(true);
    sb.hide = () => setVisible(false);
    sb.onClick = (fn) => { if (supported()) WebApp.onEvent('settingsButtonClicked', fn); return sb; };
    sb.offClick = (fn) => { if (supported()) WebApp.offEvent('settingsButtonClicked', fn); return sb; };
    return sb;
  })();

  // Custom methods (Bot API 6.9) carry CloudStorage: the request goes to the
  // client with a req_id, the answer comes back as custom_method_invoked.
  const callbacks = {};
  let nextReq = 0;
  function invokeCustomMethod(method, params, callback) {
    if (!versionAtLeast('6.9')) {
      console.error(`[Telegram.WebApp] Method invokeCustomMethod is not supported in version ${version}`);
      throw new Error('WebAppMethodUnsupported');
    }
    nextReq += 1;
    const reqId = `req${nextReq}_${Math.random().toString(36).slice(2, 10)}`;
    callbacks[reqId] = callback;
    post('web_app_invoke_custom_method', { req_id: reqId, method, params: params || {} });
  }

  const CloudStorage = (function () {
    const cs = {};
    function invoke(method, params, callback) {
      if (!versionAtLeast('6.9')) {
        console.error(`[Telegram.WebApp] CloudStorage is not supported in version ${version}`);
        throw new Error('WebAppMethodUnsupported');
      }
      invokeCustomMethod(method, params, callback);
      return cs;
    }
    cs.setItem = (key, value, callback) => invoke('saveStorageValue', { key, value }, callback);
    cs.getItems = (keys, callback) => invoke('getStorageValues', { keys }, callback);
    cs.getItem = (key, callback) => cs.getItems([key], callback ? (err, res) => {
      if (err) callback(err);
      else callback(null, res[key]);
    } : null);
    cs.removeItems = (keys, callback) => invoke('deleteStorageValues', { keys }, callback);
    cs.removeItem = (key, callback) => cs.removeItems([key], callback);
    cs.getKeys = (callback) => invoke('getStorageKeys', {}, callback);
    return cs;
  })();

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
    MainButton: bottomButton('main'),
    SecondaryButton: bottomButton('secondary'),
    BackButton,
    SettingsButton,
    HapticFeedback,
    CloudStorage,
    invokeCustomMethod,
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
        // Buttons left at their default colours follow the new theme.
        WebApp.MainButton.setParams({});
        WebApp.SecondaryButton.setParams({});
        emit('themeChanged');
        break;
      case 'main_button_pressed':
        pressed.main();
        break;
      case 'secondary_button_pressed':
        pressed.secondary();
        break;
      case 'settings_button_pressed':
        emit('settingsButtonClicked');
        break;
      case 'custom_method_invoked': {
        const callback = callbacks[eventData.req_id];
        if (!(eventData.req_id in callbacks)) break;
        delete callbacks[eventData.req_id];
        if (callback) {
          callback(eventData.error !== undefined ? eventData.error : null, eventData.result !== undefined ? eventData.result : null);
        }
        break;
      }
      case 'back_button_pressed':
        emit('backButtonClicked');
        break;
      default:
    }
  });

  setCSSVars();
  window.Telegram = { WebApp, WebView: { initParams: Object.fromEntries(hash) } };
  if (hash.get('tgWebAppShowSettings')) SettingsButton.show();
})();
