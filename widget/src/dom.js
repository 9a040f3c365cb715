/* Element helpers. Text always goes in through textContent (the `text` prop), never as markup. */
import { svg } from './icons.js';

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

export function h(tag, props, kids) {
  const e = document.createElement(tag);
  for (const k in props) {
    const v = props[k];
    if (v == null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of [].concat(kids || [])) if (c != null) e.append(c);
  return e;
}

/** A button with a visible label, or with an icon and the label as its accessible name. */
export function btn(cls, label, onclick, icon) {
  return h('button', { type: 'button', class: cls, onclick, text: icon ? null : label,
    'aria-label': icon && label, title: icon && label }, icon && svg(icon));
}

/** Message text as text nodes, with http(s) URLs made into links (built as elements, not parsed). */
export function linkify(text) {
  text = String(text == null ? '' : text);
  const frag = document.createDocumentFragment();
  let last = 0;
  text.replace(URL_RE, (raw, at) => {
    const url = raw.replace(/[.,;:!?)\]}'"]+$/, '');
    try { if (!/^https?:$/.test(new URL(url).protocol)) return; } catch (e) { return; }
    frag.append(text.slice(last, at), h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: url }));
    last = at + url.length;
  });
  frag.append(text.slice(last));
  return frag;
}
