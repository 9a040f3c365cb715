"""The domain: every message, whatever its channel, goes through `service`; `timers` closes and escalates."""
