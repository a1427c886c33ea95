// A stack of views instead of URL routing: Telegram puts its launch
// parameters in the URL hash, and the BackButton maps naturally onto a stack.
// A view factory returns {el, enter?, leave?}; leave stops polling and frees
// blob URLs when the view goes away.
import { clear, h } from './dom.js';
import { backButton, mainButton, secondaryButton, webApp } from './tg.js';
import { t } from './i18n.js';

const stack = [];
let current = null;
let onRootChange = () => {};

export function init({ rootChanged }) {
  onRootChange = rootChanged;
  backButton.init(back);
}

export function start(name, factory) {
  stack.length = 0;
  stack.push({ name, factory });
  show();
}

export function push(factory) {
  stack.push({ name: stack[0]?.name, factory });
  show();
}

export function replace(factory) {
  stack[stack.length - 1] = { name: stack[0]?.name, factory };
  show();
}

// top is the factory of the view on screen, so a caller can tell whether
// it is already showing.
export function top() {
  return stack.at(-1)?.factory;
}

export function back() {
  if (stack.length < 2) return;
  stack.pop();
  show();
}

// refresh re-renders the current view, e.g. after the theme or connectivity changed.
export function refresh() {
  if (stack.length) show();
}

function show() {
  current?.leave?.();
  mainButton.hide();
  secondaryButton.hide();
  const main = document.getElementById('view');
  clear(main);
  const deep = stack.length > 1;
  // Outside Telegram there is no BackButton; give the page its own.
  if (deep && !webApp()?.BackButton) {
    main.append(h('button', { type: 'button', class: 'link-button back', onclick: back }, `← ${t('back')}`));
  }
  current = stack.at(-1).factory();
  main.append(current.el);
  current.enter?.();
  backButton.show(deep);
  onRootChange(stack[0].name);
  window.scrollTo(0, 0);
  main.focus({ preventScroll: true });
}
