"""A person's own data on request (PIPL Art. 45, 47): the export of
everything Baton holds about one person, and erasure requests."""
