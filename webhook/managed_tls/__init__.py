"""tls.mode=managed: the webhook pods issue, publish and rotate their own certificate.

``certs`` makes and reads certificates, ``plan`` decides what the shared Secret
should hold, ``cluster`` reads and writes it (and the caBundle) through the API
server, ``controller`` runs the loop in the gunicorn master and installs the
serving pair for the workers, ``status`` tells /readyz whether the served
certificate is trusted. docs/decisions/0004-managed-tls.md says why it is built so.
"""
