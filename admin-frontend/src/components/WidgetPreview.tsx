// A static mock of the widget (launcher bubble and open panel) in the chosen colour and corner.
import { readableColors } from '../lib/contrast';
import type { WidgetLook } from '../types';

const TEXT = {
  en: { title: 'Chat with us', placeholder: 'Type a message…', send: 'Send', online: 'We reply in a few minutes' },
  fr: { title: 'Discutons', placeholder: 'Écrivez un message…', send: 'Envoyer', online: 'Nous répondons en quelques minutes' },
  es: { title: 'Chatea con nosotros', placeholder: 'Escribe un mensaje…', send: 'Enviar', online: 'Respondemos en unos minutos' },
  de: { title: 'Chatten Sie mit uns', placeholder: 'Nachricht eingeben…', send: 'Senden', online: 'Wir antworten in wenigen Minuten' },
} as const;

export function WidgetPreview({ settings, businessName }: { settings: WidgetLook; businessName: string }) {
  // The colours the widget will use: the brand colour, darkened or lightened only when no text colour reads on it.
  const { text: fg, background: color } = readableColors(
    /^#[0-9a-f]{6}$/i.test(settings.color ?? '') ? settings.color! : '#2563eb',
  );
  const t = TEXT[settings.language ?? 'en'] ?? TEXT.en;
  const side = settings.position === 'left' ? 'left' : 'right';
  return (
    <div className={`preview preview-${side}`} aria-label="Widget preview" role="img">
      <div className="preview-page">
        <div className="preview-line" />
        <div className="preview-line short" />
        <div className="preview-line" />
      </div>
      <div className="preview-panel">
        <div className="preview-head" style={{ background: color, color: fg }}>
          <strong>{businessName || t.title}</strong>
          <span className="small">{t.online}</span>
        </div>
        <div className="preview-body">
          {settings.greeting ? <div className="preview-bubble">{settings.greeting}</div> : null}
          {settings.prechat_form ? (
            <div className="preview-form">
              <div className="preview-input">Name</div>
              <div className="preview-input">Email</div>
            </div>
          ) : null}
        </div>
        <div className="preview-compose">
          <span className="preview-input grow">{t.placeholder}</span>
          <span className="preview-send" style={{ background: color, color: fg }}>
            {t.send}
          </span>
        </div>
      </div>
      <div className="preview-launcher" style={{ background: color, color: fg }}>
        <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
          <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z" />
        </svg>
      </div>
    </div>
  );
}
