"""The pure core: no web, database or CLI imports; time and randomness are passed in."""
