// Renders a Telegram HTML caption safely: the text is parsed in an inert
// DOMParser document (no scripts, no loads) and rebuilt with only b, i, code
// and a (http/https/tg links) elements; everything else becomes its text.
const MAP = { b: 'b', strong: 'b', i: 'i', em: 'i', code: 'code', pre: 'code', a: 'a' };

export function renderCaption(text, parseMode) {
  const frag = document.createDocumentFragment();
  if (String(parseMode).toUpperCase() !== 'HTML') {
    frag.append(document.createTextNode(text ?? ''));
    return frag;
  }
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${text ?? ''}`, 'text/html');
  copy(doc.body, frag);
  return frag;
}

function copy(src, dst) {
  for (const node of src.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      dst.append(document.createTextNode(node.data));
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      const tag = MAP[node.localName];
      if (!tag) {
        copy(node, dst);
        continue;
      }
      const el = document.createElement(tag);
      if (tag === 'a') {
        const href = node.getAttribute('href') ?? '';
        if (/^(https?:|tg:)/i.test(href)) {
          el.href = href;
          el.target = '_blank';
          el.rel = 'noopener noreferrer';
        }
      }
      copy(node, el);
      dst.append(el);
    }
  }
}
