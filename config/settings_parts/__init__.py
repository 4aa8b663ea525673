"""Parts of ``config.settings`` that stand on their own: where Baton keeps its
files and reads its environment (``environment``), Baton's own settings
(``baton``), and sign-in protection and API tokens (``sign_in``)."""
