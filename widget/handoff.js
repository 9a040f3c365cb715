/*! Handoff chat widget: one self-contained script, no dependencies, served at /widget/handoff.js.
 * Embed: <script src="https://HOST/widget/handoff.js" data-key="WIDGET_KEY" async></script>
 * What people type is only ever rendered with textContent; innerHTML gets the static SVG literals below. */
(function () {
  'use strict';
  const W = window, D = document;
  if (W.Handoff && W.Handoff._loaded) return; // the snippet was pasted twice
  const SCRIPT = D.currentScript || D.querySelector('script[data-key][src*="handoff.js"]');

  const TEXT = { // a missing key falls back to English
    en: {
      openChat: 'Open chat', closeChat: 'Close chat', unread: '{n} unread', minimize: 'Minimize',
      leave: 'Leave a message', online: 'Online', away: 'Away', log: 'Conversation', message: 'Message',
      placeholder: 'Write a message…', send: 'Send', sending: 'Sending…', sent: 'Sent', failed: 'Not sent',
      retry: 'Retry', typing: '{name} is typing…', reconnecting: 'Reconnecting…',
      closed: 'This conversation has ended. Send a message to start a new one.',
      greeting: 'Hi! How can we help?', newMsg: 'New message',
      fuOffline: "We're away right now. Leave your details and we'll get back to you.",
      fuEscalated: "Sorry for the wait! Leave your details and we'll follow up as soon as we can.",
      fuHint: 'Please give an email address or a phone number.',
      name: 'Name', email: 'Email', phone: 'Phone', submit: 'Submit', back: 'Back to conversation',
      thanks: 'Thank you!', thanksBody: 'We received your message and will get back to you soon.',
      errName: 'Please enter your name.', errMessage: 'Please enter a message.',
      errEmail: 'Please enter a valid email address.',
      errGeneric: 'Something went wrong. Please try again.',
      prechat: 'Before we start, please tell us who you are.', start: 'Start conversation',
    },
    fr: {
      openChat: 'Ouvrir le chat', closeChat: 'Fermer le chat', unread: '{n} non lu(s)', minimize: 'Réduire',
      leave: 'Laisser un message', online: 'En ligne', away: 'Absent', placeholder: 'Écrivez un message…',
      send: 'Envoyer', sending: 'Envoi…', sent: 'Envoyé', failed: 'Non envoyé', retry: 'Réessayer',
      typing: '{name} écrit…', reconnecting: 'Reconnexion…',
      closed: 'Cette conversation est terminée. Envoyez un message pour en commencer une nouvelle.',
      greeting: 'Bonjour ! Comment pouvons-nous vous aider ?', newMsg: 'Nouveau message',
      fuOffline: 'Nous sommes absents pour le moment. Laissez vos coordonnées, nous vous recontacterons.',
      fuEscalated: "Désolés pour l'attente ! Laissez vos coordonnées, nous vous recontacterons au plus vite.",
      fuHint: 'Indiquez une adresse e-mail ou un numéro de téléphone.',
      name: 'Nom', email: 'E-mail', phone: 'Téléphone', submit: 'Envoyer', back: 'Retour à la conversation',
      thanks: 'Merci !', thanksBody: 'Nous avons bien reçu votre message et reviendrons vers vous rapidement.',
      errName: 'Veuillez indiquer votre nom.', errMessage: 'Veuillez saisir un message.',
      errEmail: 'Veuillez saisir une adresse e-mail valide.',
      errGeneric: 'Une erreur est survenue. Veuillez réessayer.',
      prechat: 'Avant de commencer, dites-nous qui vous êtes.', start: 'Démarrer la conversation',
    },
    es: {
      openChat: 'Abrir chat', closeChat: 'Cerrar chat', unread: '{n} sin leer', minimize: 'Minimizar',
      leave: 'Dejar un mensaje', online: 'En línea', away: 'Ausente', log: 'Conversación', message: 'Mensaje',
      placeholder: 'Escribe un mensaje…', send: 'Enviar', sending: 'Enviando…', sent: 'Enviado',
      failed: 'No enviado', retry: 'Reintentar', typing: '{name} está escribiendo…',
      reconnecting: 'Reconectando…',
      closed: 'Esta conversación ha terminado. Envía un mensaje para empezar una nueva.',
      greeting: '¡Hola! ¿En qué podemos ayudarte?', newMsg: 'Nuevo mensaje',
      fuOffline: 'Ahora mismo no estamos disponibles. Déjanos tus datos y te responderemos.',
      fuEscalated: '¡Perdona la espera! Déjanos tus datos y te responderemos lo antes posible.',
      fuHint: 'Indica un correo electrónico o un número de teléfono.',
      name: 'Nombre', email: 'Correo electrónico', phone: 'Teléfono', submit: 'Enviar',
      back: 'Volver a la conversación', thanks: '¡Gracias!',
      thanksBody: 'Hemos recibido tu mensaje y te responderemos pronto.',
      errName: 'Escribe tu nombre.', errMessage: 'Escribe un mensaje.',
      errEmail: 'Introduce un correo electrónico válido.',
      errGeneric: 'Algo salió mal. Inténtalo de nuevo.',
      prechat: 'Antes de empezar, dinos quién eres.', start: 'Iniciar conversación',
    },
    de: {
      openChat: 'Chat öffnen', closeChat: 'Chat schließen', unread: '{n} ungelesen', minimize: 'Minimieren',
      leave: 'Nachricht hinterlassen', online: 'Online', away: 'Abwesend', log: 'Unterhaltung',
      message: 'Nachricht', placeholder: 'Nachricht schreiben…', send: 'Senden', sending: 'Wird gesendet…',
      sent: 'Gesendet', failed: 'Nicht gesendet', retry: 'Erneut versuchen', typing: '{name} schreibt…',
      reconnecting: 'Verbindung wird wiederhergestellt…',
      closed: 'Diese Unterhaltung wurde beendet. Senden Sie eine Nachricht, um eine neue zu beginnen.',
      greeting: 'Hallo! Wie können wir helfen?', newMsg: 'Neue Nachricht',
      fuOffline: 'Wir sind gerade nicht erreichbar. Hinterlassen Sie Ihre Kontaktdaten, wir melden uns.',
      fuEscalated: 'Entschuldigen Sie die Wartezeit! Hinterlassen Sie Ihre Kontaktdaten, wir melden uns bald.',
      fuHint: 'Bitte geben Sie eine E-Mail-Adresse oder Telefonnummer an.',
      name: 'Name', email: 'E-Mail', phone: 'Telefon', submit: 'Absenden', back: 'Zurück zur Unterhaltung',
      thanks: 'Vielen Dank!', thanksBody: 'Wir haben Ihre Nachricht erhalten und melden uns bald.',
      errName: 'Bitte geben Sie Ihren Namen ein.', errMessage: 'Bitte geben Sie eine Nachricht ein.',
      errEmail: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
      errGeneric: 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
      prechat: 'Bevor wir beginnen: Wie heißen Sie?', start: 'Unterhaltung starten',
    },
  };

  const ICON = {
    chat: '<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/>',
    down: '<path d="M6 9l6 6 6-6"/>',
    send: '<path d="M22 2L11 13"/><path d="M22 2l-7 20-4-9-9-4z"/>',
    mail: '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3 7l9 6 9-6"/>',
    check: '<path d="M20 6L9 17l-5-5"/>',
  };

  const STYLE = `
:host{all:initial!important;position:fixed!important;z-index:2147483000!important}
.hf{--c:#2563eb;--fg:#fff;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 color:#1f2328;text-align:left;letter-spacing:normal}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button,input,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;display:block}
:focus-visible{outline:2px solid var(--c);outline-offset:2px}
.launcher{position:fixed;bottom:20px;right:20px;width:58px;height:58px;border-radius:50%;border:0;padding:0;
 background:var(--c);color:var(--fg);box-shadow:0 6px 24px rgba(0,0,0,.22);display:flex;align-items:center;
 justify-content:center;transition:transform .15s ease}
.launcher:hover{transform:scale(1.05)}
.launcher svg{width:26px;height:26px}
.launcher:focus-visible{outline:0;box-shadow:0 0 0 3px #fff,0 0 0 6px var(--c)}
.left .launcher,.left .panel{right:auto;left:20px}
.left .panel{transform-origin:bottom left}
.badge{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;
 background:#e11d48;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center;box-shadow:0 0 0 2px #fff}
.panel{position:fixed;bottom:90px;right:20px;width:372px;max-width:calc(100vw - 40px);height:600px;
 max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;
 box-shadow:0 16px 48px rgba(0,0,0,.2),0 2px 6px rgba(0,0,0,.08);opacity:0;visibility:hidden;
 transform:translateY(12px) scale(.98);transform-origin:bottom right;
 transition:opacity .18s ease,transform .18s ease,visibility 0s linear .18s}
.open .panel{opacity:1;visibility:visible;transform:none;transition-delay:0s}
.head{background:var(--c);color:var(--fg);padding:14px 10px 14px 18px;display:flex;align-items:center;gap:4px;flex:none}
.title{flex:1;min-width:0}
h2{font-size:16px;font-weight:650;margin:0;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.status{font-size:12px;opacity:.92;display:flex;align-items:center;gap:6px;margin-top:2px}
.dot{width:8px;height:8px;border-radius:50%;background:#cbd5e1}
.on .dot{background:#22c55e}
.icon{background:transparent;border:0;color:inherit;width:36px;height:36px;border-radius:10px;padding:0;
 display:flex;align-items:center;justify-content:center;flex:none}
.icon:hover{background:rgba(255,255,255,.18)}
.head :focus-visible{outline-color:currentColor}
.banner{background:#fef3c7;color:#92400e;font-size:12px;padding:6px 12px;text-align:center;flex:none}
.view{flex:1;display:flex;flex-direction:column;min-height:0}
.log{flex:1;overflow-y:auto;padding:16px 14px 8px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9;
 overscroll-behavior:contain}
.msg{display:flex;flex-direction:column;align-items:flex-start;max-width:82%;align-self:flex-start}
.msg.visitor{align-self:flex-end;align-items:flex-end}
.msg.system{align-self:center;align-items:center;max-width:90%;text-align:center;color:#6b7280;font-size:12px}
.bubble{padding:9px 13px;border-radius:16px 16px 16px 5px;background:#fff;border:1px solid #e8eaee;
 white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}
.bubble a{color:inherit;text-decoration:underline}
.visitor .bubble{background:var(--c);color:var(--fg);border-color:transparent;border-radius:16px 16px 5px 16px}
.system .bubble{background:transparent;border:0;padding:2px 8px}
.sending .bubble,.failed .bubble{opacity:.65}
.who{font-size:12px;color:#6b7280;margin:0 0 3px 4px}
.meta{font-size:11px;color:#8b929b;margin:3px 4px 0;display:flex;gap:6px;align-items:center}
.failed .meta{color:#dc2626}
.retry{background:none;border:0;padding:0;color:#dc2626;text-decoration:underline;font-size:11px;font-weight:700}
.notice{font-size:12px;color:#6b7280;text-align:center;padding:6px 16px;background:#f6f7f9}
.typing{font-size:12px;color:#6b7280;padding:2px 18px 8px;background:#f6f7f9;display:flex;align-items:center;gap:6px}
.dots{display:inline-flex;gap:3px}
.dots i{width:5px;height:5px;border-radius:50%;background:#9ca3af;animation:hfb 1.2s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}
@keyframes hfb{0%,80%,100%{opacity:.3;transform:none}40%{opacity:1;transform:translateY(-3px)}}
.composer{display:flex;align-items:flex-end;gap:8px;padding:10px 10px 10px 16px;border-top:1px solid #eceef1;
 background:#fff;flex:none}
.composer textarea{flex:1;resize:none;border:0;outline:0;background:transparent;color:#1f2328;height:38px;
 max-height:120px;line-height:20px;padding:9px 0;min-width:0}
.composer textarea::placeholder{color:#9ca3af}
.send{width:38px;height:38px;border-radius:50%;border:0;padding:0;background:var(--c);color:var(--fg);display:flex;
 align-items:center;justify-content:center;flex:none}
.send svg{width:18px;height:18px}
.empty .send{opacity:.45}
.pad{flex:1;overflow-y:auto;padding:20px 18px;display:flex;flex-direction:column;gap:12px}
.pad p{margin:0;color:#4b5563}
.hint{font-size:12px}
form{display:flex;flex-direction:column;gap:12px}
label{display:block;font-size:13px;font-weight:600;margin-bottom:4px;color:#374151}
.field input,.field textarea{display:block;width:100%;border:1px solid #d1d5db;border-radius:10px;padding:9px 11px;
 background:#fff;color:#111827;outline:0}
.field textarea{min-height:92px;resize:vertical}
.field input:focus,.field textarea:focus{border-color:var(--c);box-shadow:0 0 0 3px rgba(100,116,139,.18)}
[aria-invalid=true]{border-color:#dc2626!important}
.err{color:#dc2626;font-size:12px;margin-top:4px}
.err:empty{display:none}
.primary{background:var(--c);color:var(--fg);border:0;border-radius:10px;padding:11px 16px;font-weight:600;width:100%}
.primary:disabled{opacity:.6}
.link{background:none;border:0;color:#374151;padding:6px;font-weight:600;text-decoration:underline;align-self:center}
.done{align-items:center;text-align:center;justify-content:center}
.done h3{margin:0;font-size:18px;outline:0}
.ok{width:52px;height:52px;border-radius:50%;background:#dcfce7;color:#16a34a;display:flex;align-items:center;justify-content:center}
@media (max-width:480px){
 .panel,.left .panel{top:0;right:0;bottom:0;left:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}
 .open .launcher{display:none}
 .composer textarea,.field input,.field textarea{font-size:16px}
}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}
`;

  const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
  const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

  function get(k, session) {
    try { return (session ? sessionStorage : localStorage).getItem(k); } catch (e) { return null; }
  }
  function put(k, v, session) {
    try { (session ? sessionStorage : localStorage).setItem(k, v); } catch (e) { /* storage disabled */ }
  }
  function parse(s) { try { return JSON.parse(s); } catch (e) { return null; } }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; plain http pages still have getRandomValues
    return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  }

  function h(tag, props, kids) {
    const e = D.createElement(tag);
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
  function btn(cls, label, onclick, icon) {
    return h('button', { type: 'button', class: cls, onclick, text: icon ? null : label,
      'aria-label': icon && label, title: icon && label }, icon && svg(icon));
  }
  function svg(name) {
    const s = D.createElement('span');
    s.innerHTML = `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">${ICON[name]}</svg>`; // static
    return s.firstChild;
  }

  function linkify(text) {
    text = String(text == null ? '' : text);
    const frag = D.createDocumentFragment();
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

  function contrast(color) {
    let x = (/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color) || [])[1];
    if (!x) return '#fff';
    if (x.length === 3) x = x.replace(/./g, '$&$&');
    const n = parseInt(x, 16);
    return ((n >> 16) * 299 + ((n >> 8) & 255) * 587 + (n & 255) * 114) / 1000 > 160 ? '#111827' : '#fff';
  }

  function resolveConfig(over) {
    const s = Object.assign({}, W.HandoffSettings, over);
    let base = s.baseUrl;
    if (!base && SCRIPT && SCRIPT.src) {
      // keep a path prefix when the server is mounted under one (https://x/support/widget/handoff.js)
      const u = new URL(SCRIPT.src, location.href), m = /^(.*)\/widget\/handoff\.js$/.exec(u.pathname);
      base = u.origin + (m ? m[1] : '');
    }
    return { key: s.key || (SCRIPT && SCRIPT.getAttribute('data-key')), base: String(base || location.origin).replace(/\/+$/, ''),
      name: s.name, email: s.email, language: s.language };
  }

  function createWidget(cfg, emit) {
    const key = cfg.key, base = cfg.base, NS = 'handoff:' + key;
    const ac = new AbortController(), sig = { signal: ac.signal };
    const ident = Object.assign({}, parse(get(NS)));
    if (cfg.name) ident.name = cfg.name;
    if (cfg.email) ident.email = cfg.email;
    let lang = pickLang(cfg.language), T = TEXT[lang];
    let settings = {}, staffOnline = false, conv = null, ready = false, shut = false, isOpen = false;
    const msgs = [], byId = new Map(), byCid = new Map();
    let seq = 0, lastId = 0, readSent = 0, seenId = +get(NS + ':seen') || 0;
    let ws = null, wsOpen = false, everOpened = false, attempts = 0, failedOpens = 0, reconnectTimer = 0;
    let pollMode = false, pollTimer = 0, sessionP = null;
    let typingSentAt = 0, typingTimer = 0, flashTimer = 0, savedTitle = '', audio = null;
    let ui = null, view = '', fuReason = '';
    let fuState = get(NS + ':fu', true) || ''; // per tab session: no nagging on every page

    const host = D.createElement('handoff-widget');
    const root = host.attachShadow({ mode: 'open' });
    const wrap = h('div', { class: 'hf' });
    const badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
    const launcher = h('button', { type: 'button', class: 'launcher', 'aria-haspopup': 'dialog', onclick: () => toggle() },
      [svg('chat'), badge]);
    wrap.append(launcher);
    root.append(h('style', { text: STYLE }), wrap);
    root.addEventListener('keydown', (e) => { if (e.key === 'Escape' && isOpen) { e.stopPropagation(); close(); } });
    for (const ev of ['click', 'keydown']) root.addEventListener(ev, unlockAudio);
    const mount = () => { if (!shut) D.body.append(host); };
    if (D.body) mount(); else D.addEventListener('DOMContentLoaded', mount, sig);
    refresh();

    W.addEventListener('storage', onStorage, sig);
    W.addEventListener('focus', stopFlash, sig);
    W.addEventListener('online', () => { attempts = 0; if (!ws && everOpened) connect(); }, sig);
    D.addEventListener('visibilitychange', () => { if (!D.hidden) { stopFlash(); markRead(); } }, sig);
    startSession();

    function t(k, vars) { return (T[k] || TEXT.en[k]).replace(/\{(\w+)\}/g, (_, v) => vars[v]); }
    function pickLang(l) { l = String(l || '').toLowerCase().slice(0, 2); return TEXT[l] ? l : 'en'; }
    function saveIdent() { put(NS, JSON.stringify(ident)); }

    // -- HTTP and session --
    async function api(path, body, noAuth) {
      const headers = body ? { 'Content-Type': 'application/json' } : {};
      if (!noAuth && ident.token) headers.Authorization = 'Bearer ' + ident.token;
      const res = await fetch(base + path, { method: body ? 'POST' : 'GET', headers, credentials: 'omit',
        body: body && JSON.stringify(body) });
      const data = await res.json().catch(() => null);
      if (res.ok) return data || {};
      const err = new Error((data && typeof data.detail === 'string' && data.detail) || 'HTTP ' + res.status);
      err.status = res.status;
      throw err;
    }

    function startSession() {
      return sessionP || (sessionP = doSession().finally(() => { sessionP = null; }));
    }
    async function doSession(delay) {
      const stored = parse(get(NS)); // another tab may hold a newer identity
      if (stored && stored.id && stored.id !== ident.id) Object.assign(ident, stored);
      const body = { widget_key: key, name: ident.name, email: ident.email };
      if (ident.token) Object.assign(body, { visitor_id: ident.id, visitor_token: ident.token });
      let data;
      try {
        data = await api('/api/v1/widget/session', body, true);
      } catch (e) {
        if (shut) return;
        if (e.status === 404) { console.warn('[handoff] unknown widget key', key); return shutdown(); }
        if ((e.status === 401 || e.status === 403) && ident.token) {
          ident.id = ident.token = null;
          return doSession();
        }
        // a name or email the server refuses: drop it
        if (e.status === 422 && (ident.email || ident.name)) { delete ident[ident.email ? 'email' : 'name']; return doSession(); }
        delay = Math.min((delay || 1000) * 2, 30000);
        await new Promise((r) => setTimeout(r, delay));
        return shut ? undefined : doSession(delay);
      }
      if (shut) return;
      if (ident.id && ident.id !== data.visitor_id) resetTranscript();
      ident.id = data.visitor_id; ident.token = data.visitor_token;
      saveIdent();
      settings = data.settings || {};
      staffOnline = !!data.staff_online;
      if (data.conversation) onConversation(data.conversation, true);
      const l = pickLang(cfg.language || settings.language), relabel = l !== lang;
      lang = l; T = TEXT[l];
      const c = settings.color;
      if (c && (!W.CSS || CSS.supports('color', c))) { wrap.style.setProperty('--c', c); wrap.style.setProperty('--fg', contrast(c)); }
      wrap.classList.toggle('left', settings.position === 'left');
      if (ui && relabel) rebuild();
      refresh();
      if (ready) return;
      ready = true;
      emit('ready', { visitor_id: ident.id, staff_online: staffOnline, settings });
      // before the bubble is clicked only a live conversation needs the socket
      if (isOpen || (conv && conv.status !== 'closed') || msgs.length) connect();
      if (isOpen && !msgs.length && !ui.input.value) chooseView(true);
    }

    // -- socket --
    function send(frame) {
      if (!wsOpen) return false;
      try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
    }

    function connect() {
      if (shut || ws || !ident.token) return;
      clearTimeout(reconnectTimer);
      let sock, opened = false;
      try {
        sock = ws = new WebSocket(base.replace(/^http/, 'ws') + '/ws/' + encodeURIComponent(ident.id));
      } catch (e) {
        return setPollMode(2); // no WebSocket, or CSP: HTTP for good
      }
      sock.onopen = () => {
        opened = wsOpen = true; attempts = failedOpens = 0;
        send({ type: 'auth', token: ident.token });
        send({ type: 'resume', after: lastId });
        everOpened = true;
        setPollMode(false); flushQueue(); markRead(); refresh();
      };
      sock.onmessage = (ev) => { const f = parse(ev.data); if (f) onFrame(f); };
      sock.onclose = (ev) => onSocketGone(sock, opened, ev.code);
    }

    function dropSocket() {
      const s = ws;
      s.onopen = s.onmessage = s.onclose = null;
      s.close();
      onSocketGone(s, true);
    }

    function onSocketGone(sock, opened, code) {
      if (ws !== sock) return;
      ws = null; wsOpen = false;
      for (const m of msgs) { m._inflight = false; clearTimeout(m._timer); }
      if (shut) return;
      refresh();
      if (!opened && ++failedOpens >= 3) setPollMode(true); // sockets look blocked: use HTTP
      // refused: the token may be stale, so renew the session first
      if (code === 1008 || code === 4401 || code === 4403) startSession().then(scheduleReconnect);
      else scheduleReconnect();
    }

    function scheduleReconnect() {
      if (shut || ws) return;
      clearTimeout(reconnectTimer);
      const cap = Math.min(15000, 500 * 2 ** attempts++);
      reconnectTimer = setTimeout(connect, cap / 2 + (Math.random() * cap) / 2);
    }

    function onFrame(f) {
      const type = f.type;
      if (type === 'message') upsert(f.message);
      else if (type === 'ack') onAck(f.client_id, f.message_id);
      else if (type === 'typing' && f.sender !== 'visitor') showTyping(f.user && f.user.name);
      else if (type === 'presence') { staffOnline = !!f.staff_online; refresh(); }
      else if (type === 'conversation') onConversation(f.conversation);
      else if (type === 'error') {
        // without a client_id, blame the oldest message in flight
        const m = (f.client_id && byCid.get(f.client_id)) || msgs.find((x) => x._inflight);
        if (m && m.id == null) fail(m, f.detail);
      }
    }

    // -- HTTP fallback when no socket can be opened --
    function setPollMode(on) {
      if (pollMode === on) return;
      pollMode = on;
      clearTimeout(pollTimer);
      if (on) poll();
    }
    async function poll() {
      clearTimeout(pollTimer);
      try {
        const r = await api('/api/v1/widget/messages?after=' + lastId);
        for (const x of r.messages || []) upsert(x);
      } catch (e) {
        if (e.status === 401 || e.status === 403) await startSession();
        else if (!e.status && pollMode < 2) { failedOpens = 0; return setPollMode(false); } // server down, not blocked
      }
      if (!pollMode || shut) return;
      flushQueue();
      pollTimer = setTimeout(poll, isOpen ? 5000 : 30000);
    }
    async function post(m) {
      m._inflight = true;
      try {
        onAck(m.client_id, (await api('/webchat', { text: m.text, client_id: m.client_id })).message_id);
      } catch (e) {
        m._inflight = false;
        if (e.status === 401) startSession();
        else if (e.status >= 400 && e.status < 500) fail(m, e.message);
      }
    }

    // -- messages --
    function place(m) {
      const ord = (x) => (x.id != null ? x.id : 1e15 + x._seq);
      const i = msgs.indexOf(m), k = ord(m);
      if (i >= 0) msgs.splice(i, 1);
      let j = msgs.length;
      while (j > 0 && ord(msgs[j - 1]) > k) j--;
      msgs.splice(j, 0, m);
      if (!ui) return;
      const stick = nearBottom() || m.sender === 'visitor', next = msgs[j + 1];
      ui.log.insertBefore(render(m), next ? next._el : null);
      if (stick) scrollDown();
    }

    function upsert(x) {
      if (!x || x.id == null) return;
      let m = byId.get(x.id) || byCid.get(x.client_id); // our own, echoed to every tab
      const isNew = !m || m.id == null;
      m = Object.assign(m || { _seq: seq++ }, x, { _state: 'sent', _inflight: false });
      clearTimeout(m._timer);
      byId.set(m.id, m);
      if (m.client_id) byCid.set(m.client_id, m);
      if (m.id > lastId) lastId = m.id;
      if (m.sender === 'staff') hideTyping();
      place(m);
      if (isNew) added(m);
      refresh();
    }

    function added(m) { // a message got its id: announce it once
      const pub = {};
      for (const k in m) if (k[0] !== '_') pub[k] = m[k];
      emit('message', pub);
      if (m.sender === 'staff' && m.id > seenId) notify(m.id);
      markRead();
    }

    function sendText(text) {
      text = text.trim();
      if (!text) return false;
      const m = { _seq: seq++, _state: 'sending', client_id: uuid(), sender: 'visitor', text, created_at: new Date().toISOString() };
      byCid.set(m.client_id, m);
      place(m);
      if (conv) conv.status = 'open';
      put(NS + ':conv', String(Date.now())); // wakes tabs with no socket yet
      deliver(m);
      refresh();
      return true;
    }

    function deliver(m) {
      if (m.id != null || m._state !== 'sending' || m._inflight) return;
      // a frame over 64 KiB closes the socket, and each reconnect would resend it
      if (new Blob([JSON.stringify(m.text)]).size > 65e3) return fail(m, 'too long');
      if (pollMode && !wsOpen) return post(m);
      if (!send({ type: 'message', text: m.text, client_id: m.client_id })) return connect();
      m._inflight = true;
      const sock = ws;
      // no ack in 10 s: the socket is likely dead; reconnecting resends the same client_id
      m._timer = setTimeout(() => { if (m.id == null && ws === sock) dropSocket(); }, 10000);
    }

    function flushQueue() { for (const m of msgs) deliver(m); }

    function onAck(cid, id) {
      const m = byCid.get(cid);
      if (!m || id == null) return;
      clearTimeout(m._timer);
      m._inflight = false;
      const dup = byId.get(id);
      if (dup && dup !== m) { // echoed without client_id first
        msgs.splice(msgs.indexOf(m), 1);
        if (m._el) m._el.remove();
        byCid.set(cid, dup);
        return;
      }
      const isNew = m.id == null;
      m.id = id; m._state = 'sent';
      byId.set(id, m);
      place(m);
      if (isNew) added(m);
    }

    function fail(m, detail) {
      clearTimeout(m._timer);
      Object.assign(m, { _state: 'failed', _inflight: false, _err: detail });
      render(m);
    }

    function resetTranscript() {
      for (const m of msgs) { clearTimeout(m._timer); if (m._el) m._el.remove(); }
      msgs.length = lastId = readSent = 0;
      byId.clear(); byCid.clear();
      conv = null;
      if (ws) dropSocket();
    }

    function onConversation(c, fromSession) {
      const was = conv && conv.id === c.id && conv.escalated;
      conv = Object.assign({}, c);
      refresh();
      if (c.escalated && !was && c.status !== 'closed' && fuState !== 'done') {
        fuReason = 'escalated';
        if (isOpen && !fromSession) showView('followup', true);
      }
    }

    function markRead() {
      if (!isOpen || D.hidden || view !== 'chat') return;
      let newest = 0;
      for (const m of msgs) if (m.sender === 'staff' && m.id > newest) newest = m.id;
      if (newest > seenId) put(NS + ':seen', String((seenId = newest)));
      if (newest > readSent && send({ type: 'read', message_id: newest })) readSent = newest;
      stopFlash();
      refresh();
    }

    function onStorage(e) {
      if (e.key === NS + ':seen') { seenId = Math.max(seenId, +e.newValue || 0); refresh(); }
      if (e.key === NS + ':conv' && ready && !pollMode) connect();
    }

    // -- notifications: unread badge, beep, title flash --
    function notify(id) {
      if (isOpen && !D.hidden) return;
      // one beep per message, across tabs and reloads
      if ((+get(NS + ':beep') || 0) < id) { put(NS + ':beep', String(id)); beep(); }
      if (D.hidden || !D.hasFocus()) startFlash();
    }
    function unlockAudio() {
      // an AudioContext may only start after a user gesture
      const AC = W.AudioContext || W.webkitAudioContext;
      try { audio = audio || (AC && new AC()); if (audio.state === 'suspended') audio.resume(); } catch (e) { /* no audio */ }
    }
    function beep() {
      try {
        const o = audio.createOscillator(), g = audio.createGain(), t0 = audio.currentTime;
        o.frequency.setValueAtTime(880, t0);
        o.frequency.setValueAtTime(1320, t0 + 0.09);
        g.gain.setValueAtTime(0.0001, t0);
        g.gain.exponentialRampToValueAtTime(0.12, t0 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.28);
        o.connect(g).connect(audio.destination);
        o.start(t0); o.stop(t0 + 0.3);
      } catch (e) { /* no audio yet: the visitor has not interacted with the widget */ }
    }
    function startFlash() {
      if (flashTimer) return;
      savedTitle = D.title;
      let on = false;
      flashTimer = setInterval(() => { D.title = (on = !on) ? '💬 ' + t('newMsg') : savedTitle; }, 1000);
    }
    function stopFlash() {
      if (!flashTimer) return;
      clearInterval(flashTimer);
      flashTimer = 0;
      D.title = savedTitle;
    }

    // -- typing --
    function showTyping(name) {
      if (!ui) return;
      ui.typingText.textContent = t('typing', { name: name || settings.business_name || '…' });
      const stick = nearBottom();
      ui.typing.hidden = false;
      if (stick) scrollDown();
      clearTimeout(typingTimer);
      typingTimer = setTimeout(hideTyping, 4000);
    }
    function hideTyping() { clearTimeout(typingTimer); if (ui) ui.typing.hidden = true; }
    function onInput() {
      const ta = ui.input, has = !!ta.value.trim();
      ta.style.height = 'auto';
      ta.style.height = Math.min(ta.scrollHeight, 120) + 'px';
      ui.composer.classList.toggle('empty', !has);
      if (has && Date.now() - typingSentAt > 2000 && send({ type: 'typing' })) typingSentAt = Date.now();
    }

    // -- rendering --
    function render(m) {
      if (!ui) return null;
      const el = m._el || (m._el = h('div'));
      const who = m.sender === 'staff' || m.sender === 'system' ? m.sender : 'visitor';
      const state = m._state === 'failed' || m._state === 'sending' ? m._state : 'sent';
      el.className = `msg ${who} ${state}`;
      el.textContent = '';
      if (who === 'staff' && m.author && m.author.name) el.append(h('div', { class: 'who', text: m.author.name }));
      el.append(h('div', { class: 'bubble' }, linkify(m.text)));
      if (who === 'system') return el;
      const meta = h('div', { class: 'meta' }), d = new Date(m.created_at);
      if (!isNaN(d)) meta.append(h('time', { datetime: m.created_at, text: d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' }) }));
      if (who === 'visitor') {
        meta.append(h('span', { text: '· ' + t(state), title: m._err }));
        if (state === 'failed') meta.append(btn('retry', t('retry'), () => { m._state = 'sending'; render(m); deliver(m); }));
      }
      el.append(meta);
      return el;
    }

    function nearBottom() { const l = ui.log; return l.scrollHeight - l.scrollTop - l.clientHeight < 80; }
    function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

    function refresh() {
      let n = 0;
      if (!isOpen) for (const m of msgs) if (m.sender === 'staff' && m.id > seenId) n++;
      launcher.setAttribute('aria-label', isOpen ? t('closeChat') : n ? `${t('openChat')} (${t('unread', { n })})` : t('openChat'));
      launcher.setAttribute('aria-expanded', isOpen);
      const icon = isOpen ? 'down' : 'chat';
      if (launcher.dataset.icon !== icon) launcher.replaceChild(svg((launcher.dataset.icon = icon)), launcher.firstChild);
      badge.hidden = !n;
      badge.textContent = n > 99 ? '99+' : n;
      if (!ui) return;
      ui.title.textContent = settings.business_name || '';
      ui.head.classList.toggle('on', staffOnline);
      ui.status.textContent = t(staffOnline ? 'online' : 'away');
      ui.greeting.textContent = settings.greeting || t('greeting');
      ui.banner.hidden = wsOpen || pollMode || !everOpened;
      ui.notice.hidden = !(conv && conv.status === 'closed' && msgs.length);
    }

    // -- panel and views --
    function makeForm(prefix, names, submitText, onSubmit) {
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

    function build() {
      if (ui) return;
      const u = (ui = {});
      u.title = h('h2', { id: 'hf-title' });
      u.status = h('span');
      u.head = h('div', { class: 'head' }, [
        h('div', { class: 'title' }, [u.title, h('div', { class: 'status' }, [h('span', { class: 'dot' }), u.status])]),
        btn('icon', t('leave'), () => { fuReason = 'manual'; showView('followup', true); }, 'mail'),
        btn('icon', t('minimize'), () => close(), 'down'),
      ]);
      u.banner = h('div', { class: 'banner', role: 'status', text: t('reconnecting') });

      u.greeting = h('div', { class: 'bubble' });
      u.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t('log'), tabindex: 0 },
        h('div', { class: 'msg staff' }, u.greeting));
      u.notice = h('div', { class: 'notice', role: 'status', text: t('closed') });
      u.typingText = h('span');
      u.typing = h('div', { class: 'typing', hidden: true },
        [h('span', { class: 'dots', 'aria-hidden': 'true' }, [h('i'), h('i'), h('i')]), u.typingText]);
      u.input = h('textarea', { rows: 1, 'aria-label': t('message'), placeholder: t('placeholder'), oninput: onInput,
        onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitComposer(); } } });
      u.composer = h('div', { class: 'composer empty' }, [u.input, btn('send', t('send'), submitComposer, 'send')]);
      u.chat = h('div', { class: 'view' }, [u.log, u.notice, u.typing, u.composer]);

      u.fu = makeForm('fu', ['name', 'email', 'phone', 'message'], t('submit'), submitFollowup);
      u.fuIntro = h('p');
      u.fuForm = h('div', { class: 'pad' }, [u.fuIntro, h('p', { class: 'hint', text: t('fuHint') }), u.fu.form, btn('link', t('back'), backToChat)]);
      u.fuDoneTitle = h('h3', { tabindex: -1, text: t('thanks') });
      u.fuDone = h('div', { class: 'pad done', role: 'status' },
        [h('div', { class: 'ok' }, svg('check')), u.fuDoneTitle, h('p', { text: t('thanksBody') }), btn('link', t('back'), backToChat)]);
      u.followup = h('div', { class: 'view' }, [u.fuForm, u.fuDone]);

      u.pc = makeForm('pc', ['name', 'email'], t('start'), submitPrechat);
      u.prechat = h('div', { class: 'view' }, h('div', { class: 'pad' }, [h('p', { text: t('prechat') }), u.pc.form]));

      u.views = { chat: u.chat, followup: u.followup, prechat: u.prechat };
      u.panel = h('div', { class: 'panel', id: 'hf-panel', role: 'dialog', 'aria-labelledby': 'hf-title' },
        [u.head, u.banner, u.chat, u.followup, u.prechat]);
      wrap.prepend(u.panel);
      launcher.setAttribute('aria-controls', 'hf-panel');
      for (const m of msgs) u.log.append(render(m));
      showView(view || 'chat');
      refresh();
    }

    function rebuild() { // the session changed the language
      const draft = ui.input.value, focused = !!root.activeElement;
      ui.panel.remove();
      ui = null;
      for (const m of msgs) m._el = null;
      build();
      ui.input.value = draft;
      if (focused) focusView();
    }

    function chooseView(focus) {
      if (ready && fuReason === 'escalated' && fuState !== 'done') return showView('followup', focus);
      if (ready && !staffOnline && !fuState) { fuReason = 'offline'; return showView('followup', focus); }
      const started = msgs.some((m) => m.sender === 'visitor');
      showView(settings.prechat_form && !ident.name && !started ? 'prechat' : 'chat', focus);
    }

    function showView(v, focus) {
      view = v;
      for (const k in ui.views) ui.views[k].hidden = k !== v;
      if (v === 'followup') {
        const intro = fuReason === 'escalated' ? t('fuEscalated') : fuReason === 'offline' ? t('fuOffline') : '';
        ui.fuIntro.textContent = intro;
        ui.fuIntro.hidden = !intro;
        ui.fuForm.hidden = false;
        ui.fuDone.hidden = true;
      }
      if (v === 'chat') { scrollDown(); markRead(); }
      prefill();
      if (focus) focusView();
    }

    function prefill() {
      for (const f of [ui.fu, ui.pc]) {
        for (const n of ['name', 'email']) if (ident[n] && !f.fields[n].input.value) f.fields[n].input.value = ident[n];
      }
    }

    function focusView() {
      let target = ui.input;
      if (view === 'followup' && ui.fuForm.hidden) target = ui.fuDoneTitle;
      else if (view !== 'chat') {
        const inputs = Object.values((view === 'followup' ? ui.fu : ui.pc).fields).map((f) => f.input);
        target = inputs.find((i) => !i.value) || inputs[0];
      }
      target.focus({ preventScroll: true });
    }

    function backToChat() {
      if (fuState !== 'done') put(NS + ':fu', (fuState = 'dismissed'), true);
      fuReason = '';
      chooseView(true);
    }

    function submitComposer() {
      if (sendText(ui.input.value)) { ui.input.value = ''; onInput(); }
      ui.input.focus();
    }

    async function submitFollowup() {
      const f = ui.fu;
      const v = validate(f, (v) => ({
        name: !v.name && t('errName'),
        email: v.email ? !EMAIL_RE.test(v.email) && t('errEmail') : !v.phone && t('fuHint'),
        message: !v.message && t('errMessage'),
      }));
      if (!v) return;
      const body = { widget_key: key, name: v.name, message: v.message };
      if (v.email) body.email = v.email;
      if (v.phone) body.phone = v.phone;
      f.submit.disabled = true;
      try {
        await api('/followup', body);
      } catch (e) {
        f.formErr.textContent = e.status >= 400 && e.status < 500 && e.status !== 429 ? e.message : t('errGeneric');
        return;
      } finally {
        f.submit.disabled = false;
      }
      put(NS + ':fu', (fuState = 'done'), true);
      fuReason = '';
      if (!ident.name) { Object.assign(ident, { name: v.name, email: ident.email || v.email || undefined }); saveIdent(); }
      f.fields.message.input.value = '';
      ui.fuForm.hidden = true;
      ui.fuDone.hidden = false;
      ui.fuDoneTitle.focus();
    }

    async function submitPrechat() {
      const f = ui.pc;
      const v = validate(f, (v) => ({ name: !v.name && t('errName'), email: v.email && !EMAIL_RE.test(v.email) && t('errEmail') }));
      if (!v) return;
      ident.name = v.name;
      if (v.email) ident.email = v.email;
      saveIdent();
      f.submit.disabled = true;
      await Promise.race([startSession(), new Promise((r) => setTimeout(r, 4000))]);
      f.submit.disabled = false;
      showView('chat', true);
    }

    // -- public --
    function open() {
      if (shut || isOpen) return;
      isOpen = true;
      build();
      wrap.classList.add('open');
      // a half-filled form stays; otherwise decide afresh (staff may have gone offline)
      if (view === 'chat' || fuState === 'done') chooseView(true); else focusView();
      if (ready) connect();
      if (pollMode) poll();
      markRead();
      refresh();
      emit('open');
    }

    function close() {
      if (!isOpen) return;
      const hadFocus = !!root.activeElement;
      isOpen = false;
      wrap.classList.remove('open');
      refresh();
      if (hadFocus) launcher.focus();
      emit('close');
    }

    function toggle() { if (isOpen) close(); else open(); }

    function identify(p) {
      let changed = false;
      for (const k of ['name', 'email']) {
        const v = p && typeof p[k] === 'string' && p[k].trim();
        if (v && v !== ident[k]) { ident[k] = v; changed = true; }
      }
      if (!changed) return;
      saveIdent();
      if (ui) prefill();
      if (ready) startSession();
    }

    function shutdown() {
      if (shut) return;
      shut = true;
      ac.abort();
      clearTimeout(reconnectTimer); clearTimeout(pollTimer); clearTimeout(typingTimer);
      for (const m of msgs) clearTimeout(m._timer);
      stopFlash();
      if (ws) { ws.onclose = null; ws.close(1000); ws = null; }
      if (audio) audio.close();
      host.remove();
    }

    return { open, close, toggle, identify, shutdown };
  }

  // window.Handoff('open') or Handoff.open(); it outlives shutdown/boot
  let current = null, listeners = {}, readyInfo = null;
  function emit(ev, arg) {
    if (ev === 'ready') readyInfo = arg;
    for (const fn of (listeners[ev] || []).slice()) {
      try { fn(arg); } catch (e) { console.error('[handoff]', e); }
    }
  }
  const call = (name) => (...args) => current && current[name](...args);
  function Handoff(method, ...args) { return typeof Handoff[method] === 'function' ? Handoff[method](...args) : undefined; }
  Object.assign(Handoff, {
    _loaded: true,
    open: call('open'), close: call('close'), toggle: call('toggle'), identify: call('identify'),
    on(ev, fn) {
      (listeners[ev] = listeners[ev] || []).push(fn);
      if (ev === 'ready' && readyInfo) setTimeout(() => fn(readyInfo));
      return () => Handoff.off(ev, fn);
    },
    off(ev, fn) { listeners[ev] = (listeners[ev] || []).filter((f) => f !== fn); },
    boot(opts) {
      if (current) current.shutdown();
      readyInfo = null;
      const cfg = resolveConfig(opts);
      current = cfg.key ? createWidget(cfg, emit) : null;
      if (!current) console.warn('[handoff] no widget key: set data-key on the script tag');
    },
    shutdown() {
      if (current) current.shutdown();
      current = readyInfo = null;
      listeners = {};
    },
  });

  // calls queued before the script loaded, by a stub like
  // window.Handoff = window.Handoff || function () { (Handoff.q = Handoff.q || []).push(arguments); };
  const queued = [...((W.Handoff && W.Handoff.q) || [])].map((a) => [...a]);
  W.Handoff = Handoff;
  if (!queued.some((a) => a[0] === 'boot')) Handoff.boot();
  for (const a of queued) Handoff(...a);
})();
