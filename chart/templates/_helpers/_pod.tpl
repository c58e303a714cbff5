{{/* Pod-level pieces shared by the webhook Deployment and the test Pod. */}}

{{/*
topologySpreadConstraints with the webhook pods' selector filled in, and
matchLabelKeys [pod-template-hash] so a rollout's new pods are spread among
themselves rather than counted against the old ones.
*/}}
{{- define "gatehouse.topologySpreadConstraints" -}}
{{- $selector := include "gatehouse.selectorLabels" (dict "ctx" . "component" "webhook") | fromYaml -}}
{{- $constraints := list -}}
{{- range .Values.topologySpreadConstraints -}}
{{- $constraint := deepCopy . -}}
{{- if not (hasKey $constraint "labelSelector") -}}
{{- $_ := set $constraint "labelSelector" (dict "matchLabels" $selector) -}}
{{- end -}}
{{- if not (hasKey $constraint "matchLabelKeys") -}}
{{- $_ := set $constraint "matchLabelKeys" (list "pod-template-hash") -}}
{{- end -}}
{{- $constraints = append $constraints $constraint -}}
{{- end -}}
{{- toYaml $constraints -}}
{{- end -}}

{{/*
The grace period, checked: the kubelet kills the pod this long after it starts
stopping. It must cover the preStop sleep plus gunicorn's graceful_timeout (20 s,
webhook/gunicorn_conf.py) or reviews in flight are cut off during every rollout.
*/}}
{{- define "gatehouse.terminationGracePeriodSeconds" -}}
{{- $needed := add .Values.preStopSleepSeconds 20 -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be more than preStopSleepSeconds + gunicorn's graceful_timeout of 20 s (%d)" (int .Values.terminationGracePeriodSeconds) (int $needed)) -}}
{{- end -}}
{{- .Values.terminationGracePeriodSeconds -}}
{{- end -}}

{{/*
The admission port in the pod: HTTPS, /validate only (GATEHOUSE_BIND). Fixed, as
the server's default; the Service maps 443 to it by name.
*/}}
{{- define "gatehouse.admissionPort" -}}
8443
{{- end -}}

{{/* The plain-HTTP port for probes and metrics (GATEHOUSE_PROBE_BIND), never the admission port. */}}
{{- define "gatehouse.probePort" -}}
{{- $port := int .Values.server.probePort -}}
{{- if eq $port (int (include "gatehouse.admissionPort" .)) -}}
{{- fail (printf "server.probePort (%d) must differ from the admission port %d: probes and metrics are plain HTTP, the admission port is HTTPS" $port $port) -}}
{{- end -}}
{{- $port -}}
{{- end -}}
