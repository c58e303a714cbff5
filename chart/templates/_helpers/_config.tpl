{{/*
Gatehouse's config file, from values. The server refuses unknown keys, so only
keys it knows are written: a policy's `mode: ""` (follow the global mode) is
left out rather than passed on. The Deployment hashes this text, so any change
rolls the pods onto the new config.
*/}}
{{- define "gatehouse.config" -}}
{{- $policies := dict -}}
{{- range $id, $policy := .Values.policies -}}
{{- $rendered := omit $policy "mode" -}}
{{- with $policy.mode -}}
{{- $_ := set $rendered "mode" . -}}
{{- end -}}
{{- $_ := set $policies $id $rendered -}}
{{- end -}}
# Rendered by the gatehouse Helm chart from its values: change the values, not this file.
{{ toYaml (dict "mode" .Values.mode "exemptNamespaces" .Values.exemptNamespaces "policies" $policies) }}
{{- end -}}
