"""Gatehouse's policies: pure functions from a pod spec to violations."""
