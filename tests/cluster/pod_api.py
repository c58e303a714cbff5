"""What a kubelet gives a pod to call the API server: a token for its service account and an
address to dial. Here the address is a relay on the pod's test host's gateway (relay.py),
and the token comes from the real TokenRequest API, so the chart's RBAC decides what the
pod may do."""

from dataclasses import dataclass
from pathlib import Path

from kubernetes.client import ApiClient, CoreV1Api

from tests.cluster.control_plane import ControlPlane, write_token_kubeconfig
from tests.cluster.netns import TestHost
from tests.cluster.relay import Relay

# A name the API server's certificate carries, as in-cluster clients find it.
API_SERVER_NAME = "kubernetes.default.svc"


@dataclass
class PodApi:
    plane: ControlPlane
    admin: ApiClient
    relay: Relay

    def kubeconfig(self, host: TestHost, namespace: str, account: str, path: Path) -> Path:
        """A kubeconfig for ``account``, reaching the API server from inside ``host``."""
        port = self.relay.listen(host.gateway)
        token = CoreV1Api(self.admin).create_namespaced_service_account_token(
            account, namespace, {"spec": {"expirationSeconds": 3600}}
        )
        return write_token_kubeconfig(
            path,
            self.plane,
            f"system:serviceaccount:{namespace}:{account}",
            token.status.token,
            server=f"https://{host.gateway}:{port}",
            tls_server_name=API_SERVER_NAME,
        )
