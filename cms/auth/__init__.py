"""Who is signing in: the client's address behind trusted proxies, lockout
after repeated wrong passwords (django-axes), and API tokens that expire and
can be revoked (django-rest-knox)."""
