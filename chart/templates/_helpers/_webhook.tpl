{{/* The ValidatingWebhookConfiguration's derived settings. */}}

{{/* Fail in enforce (no bypass by knocking Gatehouse over), Ignore in dry-run (a report never blocks). */}}
{{- define "gatehouse.failurePolicy" -}}
{{- if .Values.webhook.failurePolicy -}}
{{- .Values.webhook.failurePolicy -}}
{{- else if eq .Values.mode "enforce" -}}
Fail
{{- else -}}
Ignore
{{- end -}}
{{- end -}}

{{/*
Namespaces the API server never sends, as a JSON list. The release's namespace
(Gatehouse must be able to recreate its own pods while it is down) and
kube-system (the control plane's add-ons never wait on Gatehouse) always come
first, whatever else is configured.
*/}}
{{- define "gatehouse.excludedNamespaces" -}}
{{- concat (list .Release.Namespace "kube-system") .Values.webhook.namespaceSelector.excludeNamespaces | uniq | toJson -}}
{{- end -}}

{{- define "gatehouse.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- include "gatehouse.excludedNamespaces" . | fromJsonArray | toYaml | nindent 6 }}
  {{- with .Values.webhook.namespaceSelector.matchExpressions }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}
