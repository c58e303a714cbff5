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

{{/*
The review budget, checked against the API server's timeout. A worker judges one
review at a time and a review past its budget is cut off there, so a review can
wait up to one budget behind another before it is judged within its own: two
budgets must fit inside webhook.timeoutSeconds, with room left for the TLS
handshake and the body, or the API server gives up first and applies the
failurePolicy in place of Gatehouse's answer.
*/}}
{{- define "gatehouse.reviewBudget" -}}
{{- $budget := float64 .Values.server.reviewBudget -}}
{{- $timeout := float64 .Values.webhook.timeoutSeconds -}}
{{- if le $budget 0.0 -}}
{{- fail (printf "server.reviewBudget (%v) must be a number of seconds above 0" .Values.server.reviewBudget) -}}
{{- end -}}
{{- if ge (mulf $budget 2) $timeout -}}
{{- fail (printf "server.reviewBudget (%v s) must be under half of webhook.timeoutSeconds (%v s), so under %v s: a review can wait one budget behind another on its worker before it takes its own, and both must end before the API server gives up" .Values.server.reviewBudget .Values.webhook.timeoutSeconds (divf $timeout 2)) -}}
{{- end -}}
{{- .Values.server.reviewBudget -}}
{{- end -}}
