// Help: short answers to what buyers ask before and after buying, the terms
// and how to reach support. Telegram's menu opens it (SettingsButton); in
// clients without that item, a Help button in the page does (main.js).
// Answers are <details> so each opens on its own, without script, and a
// deep link can open one (#faq-internet from the install view).
import { h } from './dom.js';
import { t } from './i18n.js';

const QUESTIONS = [
  ['compatible', 'faqCompatibleQ', ['faqCompatibleDial', 'faqCompatibleIphone', 'faqCompatibleAndroid', 'faqCompatibleUnlocked']],
  ['when', 'faqWhenQ', ['faqWhenA']],
  ['internet', 'faqInternetQ', ['faqInternetA', 'faqInternetIphone', 'faqInternetAndroid', 'faqInternetRoaming']],
  ['qr', 'faqQrQ', ['faqQrA']],
  ['support', 'faqSupportQ', ['faqSupportA']],
];

export function helpView({ open = '' } = {}) {
  const el = h('section', { class: 'help' },
    h('h1', { text: t('helpTitle') }),
    h('div', { class: 'faq' }, QUESTIONS.map(([id, q, answers]) => h('details', { id: `faq-${id}`, open: id === open },
      h('summary', { text: t(q) }),
      answers.map((a) => h('p', { text: t(a) }))))),
    h('h2', { text: t('termsTitle') }),
    h('p', { class: 'terms', text: t('termsText') }));
  return {
    el,
    enter() {
      if (open) el.querySelector(`#faq-${open}`)?.scrollIntoView({ block: 'start' });
    },
  };
}
