"""Brokers of live channels (ADR 0025): the in-process default and NATS JetStream."""
