"""End-to-end tests against a live kind cluster running Gatehouse (make kind-e2e).

Deselected by `make test`: every module carries the e2e marker. Nothing here
talks to a cluster at import or collection time, so `make e2e-plan` lists the
scenarios on any machine.
"""
