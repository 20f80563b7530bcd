"""OneRoster REST binding: query language, views and error envelopes."""
