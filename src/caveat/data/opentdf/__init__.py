"""The OpenTDF manifest JSON schema, copied unchanged from opentdf/spec (PROVENANCE.md)."""
