"""Benchmarks: each claim measured beside a peer in the same run (see docs/benchmarks.md)."""
