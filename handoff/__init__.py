"""Handoff: one conversation table for web chat, SMS and Messenger, answered live by support staff.

Layers, each importing only the ones below it:
    web/            HTTP routers and webhooks, the staff and visitor sockets, dependencies, middleware, static files
    channels/       webchat, twilio_sms, messenger: platform wire format in, one inbound shape out; the
                    outbound adapters, built by create_app() onto AppContext.channels
    identity.py     who is asking: staff and visitor tokens (used by web/ and channels/)
    conversations/  the one path every message takes (receive, staff_send, update, close) and the timers
    delivery/       durable queues with retry (the outbox for SMS and Messenger)
    live/           the socket hub and socket authentication
    store/          the only code that speaks SQL: the database, its writer and migrations
"""
