"""The HTTP and WebSocket surface: routers per concern, middleware and static files."""
