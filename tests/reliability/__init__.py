"""Reliability: the real server under load, faults, hostile input and slow clients."""
