"""The web application: server-rendered pages (Jinja2, autoescaped) with vendored HTMX."""
