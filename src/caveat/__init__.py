"""Caveat: labelled, export-controlled, auditable research sharing between nations."""


def __getattr__(name: str) -> str:
    """``caveat.__version__``, read from the installed metadata when first asked for:
    importing importlib.metadata costs every `caveat` command tens of milliseconds."""
    if name != "__version__":
        raise AttributeError(f"module 'caveat' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:  # the one place the version is written is pyproject.toml
        found = version("caveat")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
