// The buyer's recent countries, newest first, shown at the top of the
// catalogue. They live in Telegram's CloudStorage, so they follow the buyer
// to their other devices; where that is missing (an older client, outside
// Telegram) or fails, this device's localStorage keeps them, and where even
// that is blocked the catalogue simply has no recent row.
import { cloudStorage } from './tg.js';

const KEY = 'recent_countries'; // CloudStorage keys: 1–128 of A-Z a-z 0-9 _ -
const MAX = 4;

let cached = null; // the list once read, so each visit does not wait again

function parse(value) {
  return String(value ?? '').split(',').filter((iso) => /^[A-Z]{2}$/.test(iso)).slice(0, MAX);
}

function local(op, value) {
  try {
    if (op === 'get') return window.localStorage.getItem(KEY);
    window.localStorage.setItem(KEY, value);
  } catch {
    // Storage blocked (private mode, webview policy): nothing to remember with.
  }
  return null;
}

export async function recentCountries() {
  if (cached) return cached;
  const value = cloudStorage.available() ? await cloudStorage.get(KEY) : null;
  cached = parse(value ?? local('get'));
  return cached;
}

// remember puts iso first. The write is not awaited: a buyer never waits
// for it, and a failed one costs only the shortcut.
export async function remember(iso) {
  if (!/^[A-Z]{2}$/.test(iso)) return;
  const list = [iso, ...(await recentCountries()).filter((c) => c !== iso)].slice(0, MAX);
  cached = list;
  const value = list.join(',');
  if (!(await cloudStorage.set(KEY, value))) local('set', value);
}
