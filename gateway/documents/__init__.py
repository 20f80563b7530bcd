"""Wire documents: canonical rows rendered once, at sync time, per wire format, and what the
policy layer needs to serve them to one app (what a document names, how to prune it).

Pure functions of stored rows: no store, no request. The sync engine renders with them and
the policy layer's read engine serves and prunes with them; the wire layers (OneRoster,
Ed-Fi) only wrap what the engine returns.
"""
