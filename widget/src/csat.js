/* The rating prompt, a lazily loaded part of the widget (built into handoff-csat.js): staff closed the
 * conversation and ask "How was our help?". widget.js imports this file only when a `csat` frame arrives,
 * so visitors who are never asked never download it. Text goes in as text, as everywhere in the widget. */
import { h } from './dom.js';
import STYLE from './csat.css';

const TEXT = {
  en: { title: 'How was our help?', rate: 'Rate {n} out of 5', comment: 'Comment (optional)', send: 'Send rating',
    pick: 'Choose a rating from 1 to 5.', thanks: 'Thank you for your feedback!', low: 'Poor', high: 'Excellent' },
  fr: { title: 'Notre aide vous a-t-elle satisfait ?', rate: 'Noter {n} sur 5', comment: 'Commentaire (facultatif)',
    send: 'Envoyer la note', pick: 'Choisissez une note de 1 à 5.', thanks: 'Merci pour votre avis !', low: 'Mauvais',
    high: 'Excellent' },
  es: { title: '¿Qué tal nuestra ayuda?', rate: 'Valorar con {n} de 5', comment: 'Comentario (opcional)',
    send: 'Enviar valoración', pick: 'Elija una valoración del 1 al 5.', thanks: '¡Gracias por su opinión!',
    low: 'Mala', high: 'Excelente' },
  de: { title: 'Wie war unsere Hilfe?', rate: '{n} von 5 bewerten', comment: 'Kommentar (optional)',
    send: 'Bewertung senden', pick: 'Wählen Sie eine Bewertung von 1 bis 5.', thanks: 'Danke für Ihr Feedback!',
    low: 'Schlecht', high: 'Sehr gut' },
};

/** Show the prompt for conversation `id` below the transcript (once; building the panel if needed). */
export function show(w, id) {
  if (w.shut) return;
  w.build();
  const ui = w.ui, tx = TEXT[w.lang] || TEXT.en;
  if (ui.csat && ui.csat.isConnected && ui.csat.dataset.id === String(id)) return;
  if (ui.csat) ui.csat.remove();
  let rating = 0;
  const buttons = [1, 2, 3, 4, 5].map((n) => h('button', { type: 'button', class: 'rate', 'aria-pressed': 'false',
    'aria-label': tx.rate.replace('{n}', n), text: String(n), onclick: () => pick(n) }));
  const comment = h('textarea', { rows: 2, maxlength: 2000, 'aria-label': tx.comment, placeholder: tx.comment });
  const err = h('div', { class: 'err', role: 'alert' });
  const send = h('button', { type: 'button', class: 'primary', text: tx.send, onclick: submit });
  const body = h('div', { class: 'body' }, [
    h('div', { class: 'rates', role: 'group', 'aria-labelledby': 'hf-csat-t' }, buttons),
    h('div', { class: 'ends', 'aria-hidden': 'true' }, [h('span', { text: tx.low }), h('span', { text: tx.high })]),
    comment, err, send]);
  const card = (ui.csat = h('section', { class: 'csat', 'aria-labelledby': 'hf-csat-t', 'data-id': id },
    [h('style', { text: STYLE }), h('h3', { id: 'hf-csat-t', text: tx.title }), body]));
  ui.chat.insertBefore(card, ui.notice);

  function pick(n) {
    rating = n;
    buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(i + 1 === n)));
    err.textContent = '';
  }

  async function submit() {
    if (!rating) { err.textContent = tx.pick; return; }
    send.disabled = true;
    try {
      await w.api('/api/v1/widget/csat', { conversation_id: id, rating, comment: comment.value.trim() || undefined });
    } catch (e) {
      if (e.status !== 409) { err.textContent = e.message; send.disabled = false; return; } // 409: rated already
    }
    const done = h('p', { class: 'thanks', role: 'status', tabindex: -1, text: tx.thanks });
    body.replaceWith(done);
    done.focus();
  }
}
