"""OAuth2 server: apps as clients, scopes, signed tokens, introspection, revocation."""
