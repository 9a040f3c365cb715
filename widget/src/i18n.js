/* The widget's texts. The language comes from the page's settings, else the tenant's, else English; a key
 * missing from one language falls back to English. */

export const TEXT = {
  en: {
    openChat: 'Open chat', closeChat: 'Close chat', unread: '{n} unread', minimize: 'Minimize',
    leave: 'Leave a message', online: 'Online', away: 'Away', log: 'Conversation', message: 'Message',
    placeholder: 'Write a message…', send: 'Send', sending: 'Sending…', sent: 'Sent', failed: 'Not sent',
    retry: 'Retry', typing: '{name} is typing…', reconnecting: 'Reconnecting…',
    closed: 'This conversation has ended. Send a message to start a new one.', mailT: 'Email me this transcript',
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
    mailT: 'M’envoyer la transcription',
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
    mailT: 'Enviarme la transcripción',
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
    mailT: 'Verlauf per E-Mail senden',
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

export function pickLang(l) {
  l = String(l || '').toLowerCase().slice(0, 2);
  return TEXT[l] ? l : 'en';
}

/** The text `k` in language `lang`, with {name} placeholders filled from `vars`. */
export function translate(lang, k, vars) {
  return (TEXT[lang][k] || TEXT.en[k]).replace(/\{(\w+)\}/g, (_, v) => vars[v]);
}
