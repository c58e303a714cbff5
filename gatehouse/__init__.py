"""Gatehouse's command line: offline scans of manifests and audits of live clusters."""
