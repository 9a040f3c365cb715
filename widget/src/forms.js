/* The panel's two forms: the follow-up form (leave a message when nobody answers) and the optional pre-chat
 * form. Only needed once the panel opens, so this module is the natural first candidate for a lazily
 * loaded file: views.js reaches it only through buildForms() and prefill(). */
import { btn, h } from './dom.js';
import { svg } from './icons.js';
import { put } from './storage.js';

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Adds the follow-up and pre-chat views to the panel's parts `u`. */
export function buildForms(w, u) {
  const t = w.t;
  const backToChat = () => {
    if (w.fuState !== 'done') put(w.NS + ':fu', (w.fuState = 'dismissed'), true);
    w.fuReason = '';
    w.chooseView(true);
  };
  u.fu = makeForm(t, 'fu', ['name', 'email', 'phone', 'message'], t('submit'), () => submitFollowup(w));
  u.fuIntro = h('p');
  u.fuForm = h('div', { class: 'pad' }, [u.fuIntro, h('p', { class: 'hint', text: t('fuHint') }), u.fu.form, btn('link', t('back'), backToChat)]);
  u.fuDoneTitle = h('h3', { tabindex: -1, text: t('thanks') });
  u.fuDone = h('div', { class: 'pad done', role: 'status' },
    [h('div', { class: 'ok' }, svg('check')), u.fuDoneTitle, h('p', { text: t('thanksBody') }), btn('link', t('back'), backToChat)]);
  u.followup = h('div', { class: 'view' }, [u.fuForm, u.fuDone]);

  u.pc = makeForm(t, 'pc', ['name', 'email'], t('start'), () => submitPrechat(w));
  u.prechat = h('div', { class: 'view' }, h('div', { class: 'pad' }, [h('p', { text: t('prechat') }), u.pc.form]));
}

/** Fill empty name and email fields from what the visitor already told us. */
export function prefill(w) {
  for (const f of [w.ui.fu, w.ui.pc]) {
    for (const n of ['name', 'email']) if (w.ident[n] && !f.fields[n].input.value) f.fields[n].input.value = w.ident[n];
  }
}

function makeForm(t, prefix, names, submitText, onSubmit) {
  const types = { name: 'text', email: 'email', phone: 'tel' }, auto = { name: 'name', email: 'email', phone: 'tel' };
  const fields = {}, els = [];
  for (const n of names) {
    const id = `${prefix}-${n}`, attrs = { id, name: n, 'aria-describedby': id + '-err' };
    const input = n === 'message' ? h('textarea', Object.assign(attrs, { rows: 4 }))
      : h('input', Object.assign(attrs, { type: types[n], autocomplete: auto[n] }));
    const err = h('div', { class: 'err', id: id + '-err' });
    fields[n] = { input, err };
    els.push(h('div', { class: 'field' }, [h('label', { for: id, text: t(n) }), input, err]));
  }
  const formErr = h('div', { class: 'err', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary', text: submitText });
  const form = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); onSubmit(); } }, els.concat(formErr, submit));
  return { form, fields, formErr, submit };
}

/** check(values) -> {field: error}; shows the errors, returns the values or null */
function validate(f, check) {
  const v = {};
  for (const n in f.fields) v[n] = f.fields[n].input.value.trim();
  const errs = check(v);
  let first = null;
  for (const n in f.fields) {
    const { input, err } = f.fields[n];
    err.textContent = errs[n] || '';
    input.setAttribute('aria-invalid', !!errs[n]);
    if (errs[n] && !first) first = input;
  }
  f.formErr.textContent = '';
  if (first) first.focus();
  return first ? null : v;
}

async function submitFollowup(w) {
  const t = w.t, f = w.ui.fu, ident = w.ident;
  const v = validate(f, (v) => ({
    name: !v.name && t('errName'),
    email: v.email ? !EMAIL_RE.test(v.email) && t('errEmail') : !v.phone && t('fuHint'),
    message: !v.message && t('errMessage'),
  }));
  if (!v) return;
  const body = { widget_key: w.key, name: v.name, message: v.message };
  if (v.email) body.email = v.email;
  if (v.phone) body.phone = v.phone;
  f.submit.disabled = true;
  try {
    await w.api('/followup', body);
  } catch (e) {
    f.formErr.textContent = e.status >= 400 && e.status < 500 && e.status !== 429 ? e.message : t('errGeneric');
    return;
  } finally {
    f.submit.disabled = false;
  }
  put(w.NS + ':fu', (w.fuState = 'done'), true);
  w.fuReason = '';
  if (!ident.name) { Object.assign(ident, { name: v.name, email: ident.email || v.email || undefined }); w.saveIdent(); }
  f.fields.message.input.value = '';
  const ui = w.ui; // the panel may have been rebuilt meanwhile (a new language)
  ui.fuForm.hidden = true;
  ui.fuDone.hidden = false;
  ui.fuDoneTitle.focus();
}

async function submitPrechat(w) {
  const t = w.t, f = w.ui.pc;
  const v = validate(f, (v) => ({ name: !v.name && t('errName'), email: v.email && !EMAIL_RE.test(v.email) && t('errEmail') }));
  if (!v) return;
  w.ident.name = v.name;
  if (v.email) w.ident.email = v.email;
  w.saveIdent();
  f.submit.disabled = true;
  await Promise.race([w.startSession(), new Promise((r) => setTimeout(r, 4000))]);
  f.submit.disabled = false;
  w.showView('chat', true);
}
