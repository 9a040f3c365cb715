/* What the visitor sees: the launcher, the panel (built on first open), the transcript's bubbles, and which
 * of the panel's views (chat, follow-up, pre-chat) shows. Everything people typed goes in as text. */
import { onWhite, parseHex, readableColors } from './contrast.js';
import { btn, h, linkify } from './dom.js';
import { buildForms, prefill } from './forms.js';
import { svg } from './icons.js';
import STYLE from './styles.css';

export function createViews(w) {
  const t = w.t, msgs = w.transcript.msgs;
  const host = document.createElement('handoff-widget');
  const root = host.attachShadow({ mode: 'open' });
  const wrap = h('div', { class: 'hf' });
  const badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
  const launcher = h('button', { type: 'button', class: 'launcher', 'aria-haspopup': 'dialog', onclick: () => w.toggle() },
    [svg('chat'), badge]);
  wrap.append(launcher);
  root.append(h('style', { text: STYLE }), wrap);

  function build() {
    if (w.ui) return;
    const u = (w.ui = {});
    u.title = h('h2', { id: 'hf-title' });
    u.status = h('span');
    u.head = h('div', { class: 'head' }, [
      h('div', { class: 'title' }, [u.title, h('div', { class: 'status' }, [h('span', { class: 'dot' }), u.status])]),
      btn('icon', t('leave'), () => { w.fuReason = 'manual'; showView('followup', true); }, 'mail'),
      btn('icon', t('minimize'), () => w.close(), 'down'),
    ]);
    u.banner = h('div', { class: 'banner', role: 'status', text: t('reconnecting') });

    u.greeting = h('div', { class: 'bubble' });
    u.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t('log'), tabindex: 0 },
      h('div', { class: 'msg staff' }, u.greeting));
    // After a conversation: "Email me this transcript" (to the address they gave, else one they type).
    u.mailT = btn('link', t('mailT'), async () => {
      const email = w.ident.email || prompt(t('email'));
      if (!email) return;
      u.mailT.disabled = true;
      try { await w.api('/api/v1/widget/transcript', { email }); u.mailT.textContent = t('thanks'); } catch { u.mailT.disabled = false; }
    });
    u.notice = h('div', { class: 'notice', role: 'status' }, [t('closed') + ' ', u.mailT]);
    u.typingText = h('span');
    u.typing = h('div', { class: 'typing', hidden: true },
      [h('span', { class: 'dots', 'aria-hidden': 'true' }, [h('i'), h('i'), h('i')]), u.typingText]);
    u.input = h('textarea', { rows: 1, 'aria-label': t('message'), placeholder: t('placeholder'), oninput: onInput,
      onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitComposer(); } },
      onpaste: (e) => { const f = e.clipboardData && e.clipboardData.files; if (f && f.length) { e.preventDefault(); w.attach(f); } } });
    u.file = h('input', { type: 'file', multiple: true, hidden: true, accept: 'image/*,.pdf,.txt',
      onchange: () => { w.attach(u.file.files); u.file.value = ''; } });
    u.composer = h('div', { class: 'composer empty' },
      [btn('icon', t('attach'), () => u.file.click(), 'clip'), u.file, u.input, btn('send', t('send'), submitComposer, 'send')]);
    u.chat = h('div', { class: 'view' }, [u.log, u.notice, u.typing, u.composer]);
    buildForms(w, u);

    u.views = { chat: u.chat, followup: u.followup, prechat: u.prechat };
    u.panel = h('div', { class: 'panel', id: 'hf-panel', role: 'dialog', 'aria-labelledby': 'hf-title' },
      [u.head, u.banner, u.chat, u.followup, u.prechat]);
    wrap.prepend(u.panel);
    launcher.setAttribute('aria-controls', 'hf-panel');
    for (const m of msgs) u.log.append(render(m));
    showView(w.view || 'chat');
    refresh();
  }

  function rebuild() { // the session changed the language
    const draft = w.ui.input.value, focused = !!root.activeElement;
    w.ui.panel.remove();
    w.ui = null;
    for (const m of msgs) m._el = null;
    build();
    w.ui.input.value = draft;
    if (focused) focusView();
  }

  function render(m) {
    if (!w.ui) return null;
    const el = m._el || (m._el = h('div'));
    const who = m.sender === 'staff' || m.sender === 'system' ? m.sender : 'visitor';
    const state = m._state === 'failed' || m._state === 'sending' ? m._state : 'sent';
    el.className = `msg ${who} ${state}`;
    el.textContent = '';
    if (who === 'staff' && m.author && m.author.name) el.append(h('div', { class: 'who', text: m.author.name }));
    if (m.text || !m.attachments) el.append(h('div', { class: 'bubble' }, linkify(m.text)));
    for (const a of m.attachments || []) {
      const url = /^\//.test(a.url) ? w.cfg.base + a.url : a.url; // ours are relative, signed links
      if (/^https?:/.test(url)) el.append(h('a', { class: 'file', href: url, target: '_blank', rel: 'noopener noreferrer' },
        /^image\//.test(a.content_type) ? h('img', { src: url, alt: a.name || '' }) : a.name || url));
    }
    if (who === 'system') return el;
    const meta = h('div', { class: 'meta' }), d = new Date(m.created_at);
    if (!isNaN(d)) meta.append(h('time', { datetime: m.created_at, text: d.toLocaleTimeString(w.lang, { hour: '2-digit', minute: '2-digit' }) }));
    if (who === 'visitor') {
      meta.append(h('span', { text: '· ' + t(state), title: m._err }));
      if (state === 'failed') meta.append(btn('retry', t('retry'), () => {
        if (!m._files) { m._state = 'sending'; render(m); w.outbox.deliver(m); return; }
        w.transcript.msgs.splice(w.transcript.msgs.indexOf(m), 1); // an upload that failed: this try replaces it
        el.remove();
        w.attach(m._files);
      }));
    }
    el.append(meta);
    return el;
  }

  /** Put m in its place in the transcript, and on screen when the panel exists. */
  function place(m) {
    const next = w.transcript.place(m);
    if (!w.ui) return;
    const stick = nearBottom() || m.sender === 'visitor';
    w.ui.log.insertBefore(render(m), next ? next._el : null);
    if (stick) scrollDown();
  }

  function nearBottom() { const l = w.ui.log; return l.scrollHeight - l.scrollTop - l.clientHeight < 80; }
  function scrollDown() { w.ui.log.scrollTop = w.ui.log.scrollHeight; }

  function refresh() {
    // the badge's number is in the launcher's name as a word of its own, not in parentheses, which speech
    // control and axe's label-in-name check set aside: "Open chat, 1 unread" (WCAG 2.5.3)
    let n = 0;
    if (!w.isOpen) for (const m of msgs) if (m.sender === 'staff' && m.id > w.seenId) n++;
    launcher.setAttribute('aria-label', w.isOpen ? t('closeChat') : n ? `${t('openChat')}, ${t('unread', { n })}` : t('openChat'));
    launcher.setAttribute('aria-expanded', w.isOpen);
    const icon = w.isOpen ? 'down' : 'chat';
    if (launcher.dataset.icon !== icon) launcher.replaceChild(svg((launcher.dataset.icon = icon)), launcher.firstChild);
    badge.hidden = !n;
    badge.textContent = n > 99 ? '99+' : n;
    const ui = w.ui;
    if (!ui) return;
    ui.title.textContent = w.settings.business_name || '';
    ui.head.classList.toggle('on', w.staffOnline);
    ui.status.textContent = t(w.staffOnline ? 'online' : 'away');
    ui.greeting.textContent = w.settings.greeting || t('greeting');
    ui.banner.hidden = w.transport.isOpen() || w.poller.mode() || !w.transport.everOpened();
    ui.notice.hidden = !(w.conv && w.conv.status === 'closed' && msgs.length);
  }

  /** The tenant's colour and side of the page. On the brand colour: the text colour (and background) that
   * readableColors() derives; on the white panel (focus rings, field borders): the colour darkened to 4.5:1. */
  function theme(settings) {
    const c = settings.color;
    if (c && parseHex(c)) {
      const { text, background } = readableColors(c);
      for (const [k, v] of [['--c', background], ['--fg', text], ['--a', onWhite(c)]]) wrap.style.setProperty(k, v);
    }
    wrap.classList.toggle('left', settings.position === 'left');
  }

  // -- views --
  function chooseView(focus) {
    if (w.ready && w.fuReason === 'escalated' && w.fuState !== 'done') return showView('followup', focus);
    if (w.ready && !w.staffOnline && !w.fuState) { w.fuReason = 'offline'; return showView('followup', focus); }
    const started = msgs.some((m) => m.sender === 'visitor');
    showView(w.settings.prechat_form && !w.ident.name && !started ? 'prechat' : 'chat', focus);
  }

  function showView(v, focus) {
    const ui = w.ui;
    w.view = v;
    for (const k in ui.views) ui.views[k].hidden = k !== v;
    if (v === 'followup') {
      const intro = w.fuReason === 'escalated' ? t('fuEscalated')
        : w.fuReason === 'offline' ? (w.closedNow && w.settings.away_message) || t('fuOffline') : '';
      ui.fuIntro.textContent = intro;
      ui.fuIntro.hidden = !intro;
      ui.fuForm.hidden = false;
      ui.fuDone.hidden = true;
    }
    if (v === 'chat') { scrollDown(); w.markRead(); }
    prefill(w);
    if (focus) focusView();
  }

  function focusView() {
    const ui = w.ui;
    let target = ui.input;
    if (w.view === 'followup' && ui.fuForm.hidden) target = ui.fuDoneTitle;
    else if (w.view !== 'chat') {
      const inputs = Object.values((w.view === 'followup' ? ui.fu : ui.pc).fields).map((f) => f.input);
      target = inputs.find((i) => !i.value) || inputs[0];
    }
    target.focus({ preventScroll: true });
  }

  // -- composer and typing --
  let typingTimer = 0, typingSentAt = 0;
  function showTyping(name) {
    if (!w.ui) return;
    w.ui.typingText.textContent = t('typing', { name: name || w.settings.business_name || '…' });
    const stick = nearBottom();
    w.ui.typing.hidden = false;
    if (stick) scrollDown();
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 4000);
  }
  function hideTyping() { clearTimeout(typingTimer); if (w.ui) w.ui.typing.hidden = true; }

  function onInput() {
    const ta = w.ui.input, has = !!ta.value.trim();
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight, 120) + 'px';
    w.ui.composer.classList.toggle('empty', !has);
    if (has && Date.now() - typingSentAt > 2000 && w.transport.send({ type: 'typing' })) typingSentAt = Date.now();
  }

  function submitComposer() {
    if (w.sendText(w.ui.input.value)) { w.ui.input.value = ''; onInput(); }
    w.ui.input.focus();
  }

  return { host, root, wrap, launcher, build, rebuild, render, place, refresh, theme, chooseView, showView, focusView,
    showTyping, hideTyping };
}
