// The simulator page: plays the Telegram client around the Mini App iframe
// (MainButton, SecondaryButton, BackButton, the Settings menu item, haptics,
// popups, CloudStorage, the Stars payment sheet), shows the bot chat and
// flips the fakes' fault switches. It talks to the framed app only through
// postMessage, like a real Telegram web client, and behaves like a client of
// the chosen Bot API version: an older one ignores what it does not know.
import { THEMES } from './themes.js';
import { renderCaption } from './caption.js';

const $ = (id) => document.getElementById(id);
const FORGED = 'forged';
const state = {
  users: [],
  userValue: '', // set from the URL or the first test user
  theme: 'light',
  platform: 'web',
  version: '8.0',
  initData: '', // of the current launch, to list the buyer's eSIMs
  temporalUI: '',
  launch: 0,
  invoice: null, // {url, fromApp}
  chatKey: '',
  lastOrder: '',
  botUsername: '',
  // The support group (staff view): its id, members, who writes, and the
  // message a reply answers.
  support: { chatId: 0, members: [], member: '', replyTo: null, key: '' },
};

async function getJSON(path, opts = {}) {
  const res = await fetch(path, {
    ...opts,
    headers: { 'Content-Type': 'application/json', ...(opts.headers ?? {}) },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.message || `${res.status} ${res.statusText}`);
  return data;
}

// The picker's value is the id as text (exact for any Telegram id).
function currentUser() {
  if (state.userValue === FORGED) return state.users[0]; // Alice
  return state.users.find((u) => String(u.id) === state.userValue);
}

function logEvent(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('events').prepend(li);
  while ($('events').children.length > 12) $('events').lastChild.remove();
}

function applyOwnTheme() {
  const root = document.documentElement;
  for (const [k, v] of Object.entries(THEMES[state.theme])) root.style.setProperty(`--tg-theme-${k.replace(/_/g, '-')}`, v);
  root.dataset.scheme = state.theme;
}

function versionAtLeast(v) {
  const a = state.version.split('.').map(Number);
  const b = v.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  }
  return true;
}

// launch opens the Mini App as Telegram does: signed initData and theme in
// the URL hash. A startapp link's parameter (startParam; by default the one
// typed in the controls) is signed into initData and repeated as
// tgWebAppStartParam; a web_app button opens its own URL, whose query
// (query) the app then sees. The iframe's query changes each time so it
// really reloads.
async function launch({ startParam = $('start-param').value.trim(), query = '' } = {}) {
  const forged = state.userValue === FORGED;
  const user = currentUser();
  const { init_data: initData } = await getJSON('/sim/api/initdata', {
    method: 'POST', body: { user_id: user.id, forged, start_param: startParam },
  });
  const hash = new URLSearchParams({
    tgWebAppData: initData,
    tgWebAppVersion: state.version,
    tgWebAppPlatform: state.platform,
    tgWebAppThemeParams: JSON.stringify(THEMES[state.theme]),
  });
  if (startParam) hash.set('tgWebAppStartParam', startParam);
  state.initData = forged ? '' : initData;
  phoneKey = '';
  const search = new URLSearchParams(query);
  search.set('launch', String(state.launch + 1));
  state.launch += 1;
  resetButtons();
  $('app').src = `/sim/app/?${search}#${hash}`;
  $('chat-user').textContent = `as ${user.first_name} (${user.id})${forged ? ' — forged initData' : ''}`;
  state.chatKey = '';
  subsKey = '';
  pollChat();
  pollSubscriptions();
  pollPhone();
  const where = [startParam && `startapp=${startParam}`, query && `query ${query}`].filter(Boolean).join(', ');
  logEvent(`launched Mini App ${state.version} as ${user.first_name}${forged ? ' (forged)' : ''}${where ? ` (${where})` : ''}`);
}

function resetButtons() {
  $('main-button').hidden = true;
  $('secondary-button').hidden = true;
  $('settings-button').hidden = true;
  $('back-button').hidden = true;
  // A popup of the previous launch has nobody left to answer.
  if ($('popup').open) $('popup').close();
}

function toApp(eventType, eventData = {}) {
  $('app').contentWindow?.postMessage({ simTelegram: true, eventType, eventData }, location.origin);
}

// Requests from the Mini App (the web_app_* methods of Telegram's protocol).
window.addEventListener('message', (ev) => {
  if (ev.origin !== location.origin || ev.source !== $('app').contentWindow || !ev.data?.simTelegram) return;
  const { eventType, eventData } = ev.data;
  switch (eventType) {
    case 'web_app_setup_main_button':
      setupBottomButton($('main-button'), eventData);
      break;
    case 'web_app_setup_secondary_button':
      if (!versionAtLeast('7.10')) break; // an older client does not know it
      setupBottomButton($('secondary-button'), eventData);
      $('bottom-bar').dataset.position = eventData.is_visible ? eventData.position ?? 'left' : '';
      break;
    case 'web_app_setup_settings_button':
      if (!versionAtLeast('6.10')) break;
      $('settings-button').hidden = !eventData.is_visible;
      break;
    case 'web_app_invoke_custom_method':
      invokeCustomMethod(eventData);
      break;
    case 'web_app_setup_back_button':
      $('back-button').hidden = !eventData.is_visible;
      break;
    case 'web_app_trigger_haptic_feedback':
      haptic(eventData);
      break;
    case 'web_app_open_invoice':
      openSheet(eventData.url, true);
      break;
    case 'web_app_open_popup':
      openPopup(eventData);
      break;
    case 'web_app_open_link':
      logEvent(`openLink ${eventData.url}`);
      break;
    case 'web_app_open_tg_link':
      openTelegramLink(eventData.path_full);
      break;
    case 'web_app_ready':
    case 'web_app_expand':
      logEvent(eventType);
      break;
    default:
  }
});

// setupBottomButton draws a MainButton or SecondaryButton as the app asked.
// Only a visible button carries the other fields.
function setupBottomButton(b, data) {
  b.hidden = !data.is_visible;
  if (!data.is_visible) return;
  b.textContent = data.text;
  b.disabled = !data.is_active;
  b.setAttribute('aria-busy', String(!!data.is_progress_visible));
  b.classList.toggle('progress', !!data.is_progress_visible);
  for (const [prop, value] of [['--mb-bg', data.color], ['--mb-fg', data.text_color]]) {
    if (value) b.style.setProperty(prop, value);
    else b.style.removeProperty(prop);
  }
}

// invokeCustomMethod answers CloudStorage's requests from the user's store
// on the server, as Telegram keeps it in its cloud.
async function invokeCustomMethod({ req_id: reqId, method, params }) {
  const launchAt = state.launch;
  let answer;
  try {
    answer = await getJSON('/sim/api/cloudstorage', { method: 'POST', body: { user_id: currentUser().id, method, params } });
  } catch (err) {
    answer = { error: err.message };
  }
  if (launchAt !== state.launch) return; // the app was reopened meanwhile
  toApp('custom_method_invoked', { req_id: reqId, ...answer });
  logEvent(`${method} ${answer.error ? `failed: ${answer.error}` : 'answered'}`);
}

function haptic(data) {
  const el = $('haptic');
  el.classList.remove('buzz');
  void el.offsetWidth; // restart the animation
  el.classList.add('buzz');
  logEvent(`haptic ${data.type} ${data.impact_style ?? data.notification_type ?? ''}`.trim());
}

// Popups (showPopup, showConfirm, showAlert), drawn over the client like
// Telegram does; closing without a button answers an empty button_id.
const POPUP_TEXT = { ok: 'OK', close: 'Close', cancel: 'Cancel' };
function openPopup({ title = '', message = '', buttons = [] }) {
  const dialog = $('popup');
  if (dialog.open) return;
  $('popup-title').textContent = title;
  $('popup-title').hidden = !title;
  $('popup-message').textContent = message;
  $('popup-buttons').replaceChildren(...buttons.map((b) => {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = `popup-button type-${b.type}`;
    btn.dataset.buttonId = b.id;
    btn.dataset.type = b.type;
    btn.textContent = b.text || POPUP_TEXT[b.type] || b.id;
    btn.addEventListener('click', () => closePopup(b.id));
    return btn;
  }));
  dialog.showModal();
  logEvent(`popup: ${message.slice(0, 60)}${message.length > 60 ? '…' : ''}`);
}

function closePopup(buttonId) {
  if ($('popup').open) $('popup').close();
  toApp('popup_closed', { button_id: buttonId });
  logEvent(`popup closed: ${buttonId || '(no button)'}`);
}

$('popup').addEventListener('cancel', (ev) => {
  ev.preventDefault();
  closePopup('');
});

// Subscriptions of the current user as the fake Telegram knows them, with
// the renewal Telegram would charge 30 days after the last one.
let subsKey = '';
async function pollSubscriptions() {
  const user = currentUser();
  if (!user) return;
  try {
    const { subscriptions } = await getJSON(`/sim/api/subscriptions?user_id=${user.id}`);
    const key = JSON.stringify([user.id, subscriptions]);
    if (key === subsKey) return;
    subsKey = key;
    if (!subscriptions.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'None yet: subscribe to a plan in the Mini App.';
      $('subscriptions').replaceChildren(li);
      return;
    }
    $('subscriptions').replaceChildren(...subscriptions.map(subscriptionItem));
  } catch (err) {
    logEvent(`subscriptions: ${err.message}`);
  }
}

function subscriptionItem(sub) {
  const li = document.createElement('li');
  li.className = 'sub';
  li.dataset.subscriptionId = sub.subscription_id;
  const name = document.createElement('code');
  name.textContent = `${sub.subscription_id.slice(0, 12)}…`;
  name.title = sub.subscription_id;
  const info = document.createElement('small');
  info.textContent = `${sub.amount} ⭐ · ${sub.charges} charge${sub.charges === 1 ? '' : 's'}${sub.canceled ? ' · cancelled by the bot' : ''}`;
  const btn = document.createElement('button');
  btn.type = 'button';
  btn.className = 'renew';
  btn.textContent = sub.canceled ? 'Renewals stopped' : `Renew now (${sub.amount} ⭐)`;
  btn.disabled = sub.canceled;
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    btn.textContent = 'Renewing…';
    try {
      const res = await getJSON('/sim/api/renew', { method: 'POST', body: { subscription_id: sub.subscription_id } });
      logEvent(`renewal charged (${res.charge_id.slice(0, 14)}…)`);
    } catch (err) {
      logEvent(`renewal: ${err.message}`);
    }
    subsKey = '';
    pollSubscriptions();
    pollChat();
  });
  li.append(name, info, btn);
  return li;
}

// The buyer's phone: their eSIMs as the store lists them, with what the
// phone and eSIM Go's clock can do to each (sim/phone.go).
let phoneKey = '';
async function pollPhone() {
  if (!state.initData) {
    $('phone-esims').replaceChildren();
    return;
  }
  try {
    const res = await fetch('/api/esims', { headers: { Authorization: `tma ${state.initData}` }, cache: 'no-store' });
    const esims = res.ok ? await res.json() : [];
    const key = JSON.stringify(esims);
    if (key === phoneKey) return;
    phoneKey = key;
    if (!esims.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'No eSIM yet: buy a plan in the Mini App.';
      $('phone-esims').replaceChildren(li);
      return;
    }
    $('phone-esims').replaceChildren(...esims.map(phoneItem));
  } catch (err) {
    logEvent(`eSIMs: ${err.message}`);
  }
}

const PHONE_ACTIONS = [
  ['install', 'Install on phone'], ['remove', 'Remove from phone'], ['use', 'Use 80 %', 80], ['use', 'Use 100 %', 100], ['expire', 'Expire plans'],
];

function phoneItem(e) {
  const li = document.createElement('li');
  li.className = 'sub';
  li.dataset.iccid = e.iccid;
  const name = document.createElement('code');
  name.textContent = `…${e.iccid.slice(-4)}`;
  name.title = e.iccid;
  const info = document.createElement('small');
  const gb = (n) => `${(n / 1e9).toLocaleString('en', { maximumFractionDigits: 2 })} GB`;
  const plans = (e.bundles ?? []).map((b) => `${b.name.replace(/^esim_|_V\d+$/g, '')} ${b.state}${b.unlimited ? '' : ` ${gb(b.remaining_bytes)}/${gb(b.initial_bytes)}`}`);
  info.textContent = `${e.install_state.replace('_', ' ')} · ${plans.join(', ') || 'no plan'}`;
  const buttons = document.createElement('div');
  buttons.className = 'phone-actions';
  for (const [action, label, percent] of PHONE_ACTIONS) {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.dataset.action = percent ? `${action}-${percent}` : action;
    btn.textContent = label;
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await getJSON('/sim/api/phone', { method: 'POST', body: { iccid: e.iccid, action, percent } });
        logEvent(`eSIM …${e.iccid.slice(-4)}: ${label.toLowerCase()}`);
      } catch (err) {
        logEvent(`eSIM …${e.iccid.slice(-4)}: ${err.message}`);
      }
      btn.disabled = false;
      setTimeout(pollPhone, 800);
      pollChat();
    });
    buttons.append(btn);
  }
  li.append(name, info, buttons);
  return li;
}

// The Stars payment sheet.
async function openSheet(url, fromApp) {
  if (state.invoice) return;
  state.invoice = { url, fromApp };
  $('pay-error').hidden = true;
  $('pay-confirm').hidden = false;
  $('pay-confirm').disabled = false;
  $('pay-cancel').textContent = 'Cancel';
  try {
    const inv = await getJSON(`/sim/api/invoice?link=${encodeURIComponent(url)}`);
    $('pay-title').textContent = inv.title;
    $('pay-description').textContent = inv.description;
    $('pay-amount').textContent = String(inv.amount);
    $('pay-confirm').textContent = `Pay ⭐ ${inv.amount}`;
    if (inv.order_id) showLastOrder(inv.order_id);
    $('pay-sheet').showModal();
    logEvent(`invoice opened (${inv.amount} ⭐)`);
  } catch (err) {
    logEvent(`invoice could not be opened: ${err.message}`);
    closeSheet('failed');
  }
}

function closeSheet(status) {
  const inv = state.invoice;
  state.invoice = null;
  if ($('pay-sheet').open) $('pay-sheet').close();
  if (inv?.fromApp) toApp('invoice_closed', { url: inv.url, status });
  logEvent(`invoice closed: ${status}`);
}

let sheetFailed = false;
$('pay-confirm').addEventListener('click', async () => {
  const inv = state.invoice;
  if (!inv) return;
  $('pay-confirm').disabled = true;
  $('pay-confirm').textContent = 'Paying…';
  try {
    const res = await getJSON('/sim/api/pay', { method: 'POST', body: { invoice_link: inv.url, user_id: currentUser().id } });
    if (res.approved) {
      closeSheet('paid');
      pollChat();
      pollSubscriptions();
      return;
    }
    showSheetError(res.error_message || 'Payment declined.');
  } catch (err) {
    showSheetError(err.message);
  }
});

function showSheetError(text) {
  sheetFailed = true;
  $('pay-error').textContent = text;
  $('pay-error').hidden = false;
  $('pay-confirm').hidden = true;
  $('pay-cancel').textContent = 'Close';
}

$('pay-cancel').addEventListener('click', () => {
  closeSheet(sheetFailed ? 'failed' : 'cancelled');
  sheetFailed = false;
});
$('pay-sheet').addEventListener('cancel', (ev) => {
  ev.preventDefault(); // Esc: same as Cancel, but through our bookkeeping
  $('pay-cancel').click();
});

// openTelegramLink plays Telegram opening a t.me link: the bot's own link
// with ?start=<parameter> opens the bot chat, and the buyer's Start sends
// "/start <parameter>" (deep linking). Other links are only logged.
function openTelegramLink(pathFull) {
  const url = new URL(pathFull, 'https://t.me');
  const start = url.searchParams.get('start');
  logEvent(`openTelegramLink ${url.pathname}${url.search}`);
  if (url.searchParams.has('startapp')) {
    launch({ startParam: url.searchParams.get('startapp') });
    return;
  }
  if (url.pathname.replace(/^\//, '') === state.botUsername && start) {
    sendAsBuyer(`/start ${start}`);
  }
}

// A t.me link to this bot (an inline URL button under the QR, for one).
function isBotLink(href) {
  try {
    const url = new URL(href);
    return url.hostname === 't.me' && url.pathname.replace(/^\//, '') === state.botUsername;
  } catch {
    return false;
  }
}

async function sendAsBuyer(text, photo = false) {
  const user = currentUser();
  if (!user) return;
  try {
    await getJSON('/sim/api/send', { method: 'POST', body: { user_id: user.id, chat_id: 0, text, photo } });
    logEvent(`${user.first_name} → bot: ${photo ? '📷 ' : ''}${text}`);
  } catch (err) {
    logEvent(`send: ${err.message}`);
  }
  pollChat();
  setTimeout(pollSupport, 600);
}

// The bot chat, polled.
async function pollChat() {
  const user = currentUser();
  if (!user) return;
  try {
    const { items } = await getJSON(`/sim/api/chat?user_id=${user.id}`);
    const key = `${user.id}:${items.length}:${items.at(-1)?.id ?? 0}`;
    if (key === state.chatKey) return;
    state.chatKey = key;
    $('chat-log').replaceChildren(...items.map(chatItem));
    const last = [...items].reverse().find((it) => it.order_id);
    if (last) showLastOrder(last.order_id);
    $('chat-log').lastElementChild?.scrollIntoView({ block: 'end' });
  } catch (err) {
    logEvent(`chat: ${err.message}`);
  }
}

// workflowID names the workflow behind an invoice payload: a subscription
// ("sub-…") has its own workflow, every other payload is an order.
function workflowID(orderId) {
  return orderId.startsWith('sub-') ? `subscription-${orderId}` : `order-${orderId}`;
}

function temporalLink(orderId) {
  const a = document.createElement('a');
  a.href = `${state.temporalUI}/namespaces/default/workflows/${encodeURIComponent(workflowID(orderId))}`;
  a.target = '_blank';
  a.rel = 'noopener';
  a.className = 'temporal';
  a.textContent = 'Temporal UI ↗';
  a.title = `Workflow ${workflowID(orderId)}`;
  return a;
}

function showLastOrder(orderId) {
  if (state.lastOrder === orderId) return;
  state.lastOrder = orderId;
  const p = $('last-order');
  const wf = workflowID(orderId);
  p.replaceChildren(`${orderId.startsWith('sub-') ? 'Subscription' : 'Order'} ${orderId} · `, temporalLink(orderId));
  p.hidden = false;
  $('temporal-link').href = `${state.temporalUI}/namespaces/default/workflows/${encodeURIComponent(wf)}`;
  $('temporal-link').textContent = `Temporal UI: ${wf.slice(0, wf.indexOf('-') + 9)}…`;
}

function chatItem(it) {
  const li = document.createElement('li');
  li.className = `msg ${it.from_bot ? 'bot' : 'me'} kind-${it.kind}`;
  li.dataset.kind = it.kind;
  if (it.order_id) li.dataset.orderId = it.order_id;
  const body = document.createElement('div');
  body.className = 'bubble';
  switch (it.kind) {
    case 'photo': {
      const img = document.createElement('img');
      img.src = it.photo_url;
      img.alt = 'Photo from the bot';
      img.className = 'chat-photo';
      const cap = document.createElement('p');
      cap.className = 'caption';
      cap.append(renderCaption(it.text, it.parse_mode));
      body.append(img, cap);
      break;
    }
    case 'invoice': {
      const title = document.createElement('strong');
      title.textContent = it.invoice?.title ?? it.text;
      const pay = document.createElement('button');
      pay.type = 'button';
      pay.textContent = `Pay ⭐ ${it.invoice?.amount ?? ''}`;
      pay.addEventListener('click', () => openSheet(it.invoice_link, false));
      body.append(title, document.createElement('br'), pay);
      break;
    }
    case 'payment':
      body.textContent = `You paid ${it.amount} ⭐`;
      break;
    case 'refund':
      body.textContent = `${it.amount} ⭐ refunded to you`;
      break;
    default: {
      const p = document.createElement('p');
      p.className = 'caption';
      p.append(renderCaption(it.text, it.parse_mode));
      body.append(p);
    }
  }
  for (const b of it.buttons ?? []) {
    const btn = document.createElement('a');
    btn.className = 'inline-button';
    btn.textContent = b.text;
    const startParam = startAppOf(b.url);
    if (b.web_app_url) {
      // Telegram opens the button's URL as it is, query included.
      btn.href = '#';
      btn.addEventListener('click', (ev) => {
        ev.preventDefault();
        launch({ startParam: '', query: new URL(b.web_app_url, location.href).search });
      });
    } else if (startParam !== null) {
      // A t.me link to the bot's Mini App with ?startapp= opens the app with start_param.
      btn.href = b.url;
      btn.addEventListener('click', (ev) => {
        ev.preventDefault();
        launch({ startParam });
      });
    } else if (isBotLink(b.url)) {
      // In Telegram this opens the same chat and sends /start <parameter>.
      btn.href = b.url;
      btn.addEventListener('click', (ev) => { ev.preventDefault(); openTelegramLink(new URL(b.url).pathname + new URL(b.url).search); });
    } else {
      btn.href = b.url;
      btn.target = '_blank';
      btn.rel = 'noopener noreferrer';
    }
    body.append(btn);
  }
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = new Date(it.at).toLocaleTimeString();
  if (it.order_id) meta.append(' · ', temporalLink(it.order_id));
  li.append(body, meta);
  return li;
}

// The support chat: the staff group as its members see it.
function currentMember() {
  return state.support.members.find((m) => String(m.id) === state.support.member);
}

async function pollSupport() {
  if (!state.support.chatId) return;
  try {
    const { items } = await getJSON(`/sim/api/chat?chat_id=${state.support.chatId}`);
    const key = `${items.length}:${items.at(-1)?.id ?? 0}:${state.support.replyTo?.id ?? 0}`;
    if (key === state.support.key) return;
    state.support.key = key;
    const byId = new Map(items.map((it) => [it.id, it]));
    $('support-log').replaceChildren(...items.map((it) => supportItem(it, byId)));
    $('support-log').lastElementChild?.scrollIntoView({ block: 'end' });
  } catch (err) {
    logEvent(`support chat: ${err.message}`);
  }
}

function supportItem(it, byId) {
  const member = state.support.members.find((m) => m.id === it.from?.id);
  const li = document.createElement('li');
  li.className = `msg ${it.from_bot ? 'bot' : member?.is_staff ? 'staff' : 'member'} kind-${it.kind}`;
  li.dataset.id = String(it.id);
  if (state.support.replyTo?.id === it.id) li.classList.add('selected');
  const body = document.createElement('div');
  body.className = 'bubble';
  const sender = document.createElement('span');
  sender.className = 'sender';
  sender.textContent = it.from_bot ? 'eSIM Store (bot)' : `${it.from?.name ?? '?'}${member && !member.is_staff ? ' · not staff' : ''}`;
  body.append(sender);
  const parent = it.reply_to ? byId.get(it.reply_to) : null;
  if (parent) {
    const q = document.createElement('div');
    q.className = 'quote';
    q.textContent = parent.kind === 'photo' ? `📷 ${parent.text ?? ''}` : new DOMParser().parseFromString(parent.text ?? '', 'text/html').body.textContent;
    body.append(q);
  }
  if (it.kind === 'photo') {
    const img = document.createElement('img');
    img.src = it.photo_url;
    img.alt = 'Photo';
    img.className = 'chat-photo';
    body.append(img);
  }
  if (it.text) {
    const p = document.createElement('p');
    p.className = 'caption';
    p.append(renderCaption(it.text, it.parse_mode));
    body.append(p);
  }
  for (const b of it.buttons ?? []) {
    if (!b.callback_data) continue;
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'inline-button';
    btn.textContent = b.text;
    btn.addEventListener('click', () => press(it.id, b.text));
    body.append(btn);
  }
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `#${it.id} · ${new Date(it.at).toLocaleTimeString()}${it.copied ? ' · copied from the buyer' : ''}`;
  const reply = document.createElement('button');
  reply.type = 'button';
  reply.className = 'reply';
  reply.textContent = 'Reply';
  reply.addEventListener('click', () => setReply(it));
  meta.append(reply);
  li.append(body, meta);
  return li;
}

function setReply(it) {
  state.support.replyTo = it;
  const text = it.kind === 'photo' ? '📷 photo' : new DOMParser().parseFromString(it.text ?? '', 'text/html').body.textContent;
  $('support-reply-text').textContent = `Replying to #${it.id}: ${text.slice(0, 60)}`;
  $('support-reply').hidden = false;
  $('support-input').focus();
  pollSupport();
}

function clearReply() {
  state.support.replyTo = null;
  $('support-reply').hidden = true;
  pollSupport();
}

async function sendToSupport(text, photo = false) {
  const m = currentMember();
  if (!m) return;
  try {
    await getJSON('/sim/api/send', { method: 'POST', body: {
      user_id: m.id, chat_id: state.support.chatId, text, photo, reply_to: state.support.replyTo?.id ?? 0 } });
    logEvent(`${m.first_name} → support chat: ${photo ? '📷 ' : ''}${text}`);
  } catch (err) {
    logEvent(`send: ${err.message}`);
  }
  clearReply();
  setTimeout(pollChat, 600);
}

async function press(messageId, text) {
  const m = currentMember();
  if (!m) return;
  try {
    const res = await getJSON('/sim/api/press', { method: 'POST', body: {
      chat_id: state.support.chatId, message_id: messageId, user_id: m.id, text } });
    logEvent(`${m.first_name} pressed “${text}”: ${res.answered ? res.answer.text || '(answered)' : 'no answer'}`);
  } catch (err) {
    logEvent(`press: ${err.message}`);
  }
  pollSupport();
}

async function setUpSupport(config) {
  state.botUsername = config.bot_username ?? '';
  state.support.chatId = config.support_chat_id ?? 0;
  if (!state.support.chatId) return;
  state.support.members = await getJSON('/sim/api/staff');
  const select = $('staff-user');
  for (const m of state.support.members) select.append(new Option(m.label, String(m.id)));
  state.support.member = String(state.support.members[0]?.id ?? '');
  select.value = state.support.member;
  select.addEventListener('change', () => { state.support.member = select.value; });
  $('support-title').textContent = `chat ${state.support.chatId}`;
  $('support').hidden = false;
  $('support-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('support-input').value.trim();
    if (!text) return;
    $('support-input').value = '';
    sendToSupport(text);
  });
  $('support-photo').addEventListener('click', () => {
    sendToSupport($('support-input').value.trim(), true);
    $('support-input').value = '';
  });
  $('support-reply-cancel').addEventListener('click', clearReply);
  pollSupport();
  setInterval(pollSupport, 1500);
}

// startAppOf returns the startapp parameter of a t.me Mini App link
// (t.me/<bot>?startapp=… or t.me/<bot>/<app>?startapp=…), or null.
function startAppOf(url) {
  try {
    const u = new URL(url);
    if (u.hostname !== 't.me' || !u.searchParams.has('startapp')) return null;
    return u.searchParams.get('startapp');
  } catch {
    return null;
  }
}

// Fault switches.
async function renderFaults(faults) {
  const box = $('faults');
  box.replaceChildren(...faults.map((f) => {
    const label = document.createElement('label');
    label.className = 'fault';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.name = f.name;
    input.id = `fault-${f.name}`;
    input.checked = f.on;
    input.addEventListener('change', async () => {
      try {
        const res = await getJSON('/sim/api/faults', { method: 'POST', body: { name: f.name, on: input.checked } });
        renderFaults(res.faults);
        logEvent(`fault ${f.name} ${input.checked ? 'on' : 'off'}`);
      } catch (err) {
        logEvent(`fault ${f.name}: ${err.message}`);
      }
    });
    const text = document.createElement('span');
    const name = document.createElement('code');
    name.textContent = f.name;
    const desc = document.createElement('small');
    desc.textContent = f.description;
    text.append(name, desc);
    label.append(input, text);
    return label;
  }));
}

async function pollFaults() {
  try {
    renderFaults((await getJSON('/sim/api/faults')).faults);
  } catch {
    // The next poll retries.
  }
}

async function main() {
  const [users, config] = await Promise.all([getJSON('/sim/api/users'), getJSON('/sim/api/config')]);
  state.users = users;
  state.temporalUI = config.temporal_ui_url;
  $('temporal-link').href = state.temporalUI || '#';
  const select = $('user');
  for (const u of users) select.append(new Option(u.label, String(u.id)));
  select.append(new Option('Forged initData (claims to be Alice)', FORGED));
  const params = new URLSearchParams(location.search);
  state.userValue = params.get('user') ?? String(users[0].id);
  state.theme = params.get('theme') === 'dark' ? 'dark' : 'light';
  state.platform = params.get('platform') ?? 'web';
  state.version = params.get('version') ?? '8.0';
  if (![...$('version').options].some((o) => o.value === state.version)) $('version').append(new Option(state.version, state.version));
  $('start-param').value = params.get('startapp') ?? '';
  select.value = state.userValue;
  $('platform').value = state.platform;
  $('version').value = state.version;
  document.querySelector(`input[name="theme"][value="${state.theme}"]`).checked = true;
  applyOwnTheme();

  select.addEventListener('change', () => { state.userValue = select.value; launch(); });
  $('platform').addEventListener('change', () => { state.platform = $('platform').value; launch(); });
  $('version').addEventListener('change', () => { state.version = $('version').value; launch(); });
  $('relaunch').addEventListener('click', () => launch());
  for (const radio of document.querySelectorAll('input[name="theme"]')) {
    radio.addEventListener('change', () => {
      state.theme = radio.value;
      applyOwnTheme();
      // Like Telegram: the running app gets theme_changed, no reload.
      toApp('theme_changed', { theme_params: THEMES[state.theme] });
    });
  }
  $('main-button').addEventListener('click', () => toApp('main_button_pressed'));
  $('secondary-button').addEventListener('click', () => toApp('secondary_button_pressed'));
  $('balance-low').addEventListener('click', async () => {
    try {
      const res = await getJSON('/sim/api/balance-low', { method: 'POST' });
      logEvent(`eSIM Go: balance ${res.balance} USD below ${res.threshold}`);
    } catch (err) {
      logEvent(`balance alert: ${err.message}`);
    }
  });
  $('settings-button').addEventListener('click', () => {
    toApp('settings_button_pressed');
    logEvent('settings pressed');
  });
  $('chat-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('chat-input').value.trim();
    if (!text) return;
    $('chat-input').value = '';
    sendAsBuyer(text);
  });
  $('chat-photo').addEventListener('click', () => {
    sendAsBuyer($('chat-input').value.trim(), true);
    $('chat-input').value = '';
  });
  await setUpSupport(config);
  $('back-button').addEventListener('click', () => toApp('back_button_pressed'));

  await launch();
  pollFaults();
  setInterval(pollChat, 1500);
  setInterval(pollFaults, 3000);
  setInterval(pollSubscriptions, 3000);
  setInterval(pollPhone, 3000);
}

main().catch((err) => logEvent(`simulator failed to start: ${err.message}`));
