"""Gatehouse's admission webhook: decode the review, judge it, answer, log and count."""
