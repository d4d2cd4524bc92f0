"""Durable state for releasebot: tables, repository functions and migrations.

Correctness across replicas lives here, in database constraints rather than in process
memory: one active release per (service, environment), compare-and-set state transitions,
request deduplication and a hash-chained audit log. Nothing here imports Slack or Kubernetes.
"""
