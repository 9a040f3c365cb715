"""What the server itself says to a customer (a closed chat, an escalation, the away message, a transcript
sent), in the widget's language (the tenant's `settings.language`: en, fr, es, de), English otherwise."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from handoff.store import tenants

Key = Literal["closed", "idle_closed", "escalated", "away", "transcript_sent"]
LANGUAGES = ("en", "fr", "es", "de")

TEXTS: dict[str, dict[Key, str]] = {
    "en": {
        "closed": "This conversation was closed.",
        "idle_closed": "This conversation was closed after a period of inactivity.",
        "escalated": "Sorry for the wait! Leave your contact details and we will get back to you.",
        "away": "We're away right now. Leave us a message and we'll get back to you when we're open.",
        "transcript_sent": "A transcript of this conversation has been sent to your email.",
    },
    "fr": {
        "closed": "Cette conversation a été fermée.",
        "idle_closed": "Cette conversation a été fermée après une période d'inactivité.",
        "escalated": "Désolé pour l'attente ! Laissez vos coordonnées et nous vous recontacterons.",
        "away": "Nous sommes absents pour le moment. Laissez-nous un message, nous vous répondrons dès notre retour.",
        "transcript_sent": "La transcription de cette conversation a été envoyée à votre adresse e-mail.",
    },
    "es": {
        "closed": "Esta conversación se ha cerrado.",
        "idle_closed": "Esta conversación se ha cerrado tras un periodo de inactividad.",
        "escalated": "¡Perdón por la espera! Déjanos tus datos de contacto y te responderemos.",
        "away": "Ahora no estamos disponibles. Déjanos un mensaje y te responderemos cuando abramos.",
        "transcript_sent": "Hemos enviado la transcripción de esta conversación a tu correo electrónico.",
    },
    "de": {
        "closed": "Dieses Gespräch wurde beendet.",
        "idle_closed": "Dieses Gespräch wurde nach einer Zeit der Inaktivität beendet.",
        "escalated": "Entschuldigen Sie die Wartezeit! Hinterlassen Sie Ihre Kontaktdaten, wir melden uns.",
        "away": "Wir sind gerade nicht da. Hinterlassen Sie uns eine Nachricht, wir antworten, sobald wir geöffnet haben.",
        "transcript_sent": "Eine Abschrift dieses Gesprächs wurde an Ihre E-Mail-Adresse gesendet.",
    },
}


def say(key: Key, language: Any) -> str:
    return TEXTS.get(language if isinstance(language, str) else "en", TEXTS["en"])[key]


def tenant_settings(conn: sqlite3.Connection, tenant_id: int) -> dict[str, Any]:
    """The tenant's settings (defaults filled in), read in the caller's transaction."""
    tenant = tenants.get(conn, tenant_id)
    return tenant.settings if tenant else dict(tenants.DEFAULT_SETTINGS)


def for_tenant(conn: sqlite3.Connection, tenant_id: int, key: Key) -> str:
    """`key` in the tenant's language; the away message is the tenant's own when it set one."""
    settings = tenant_settings(conn, tenant_id)
    if key == "away" and isinstance(settings.get("away_message"), str) and settings["away_message"].strip():
        return str(settings["away_message"]).strip()
    return say(key, settings.get("language"))
