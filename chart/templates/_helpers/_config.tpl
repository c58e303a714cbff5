{{/*
Gatehouse's config file, from values. The server refuses unknown keys, so only
keys it knows are written: a policy's `mode: ""` (follow the global mode) is
left out rather than passed on. The Deployment hashes this text, so any change
rolls the pods onto the new config.
*/}}
{{- define "gatehouse.config" -}}
{{- $policies := dict -}}
{{- range $id, $policy := .Values.policies -}}
{{- $rendered := omit $policy "mode" "enforceFrom" -}}
{{- with $policy.mode -}}
{{- $_ := set $rendered "mode" . -}}
{{- end -}}
{{- with $policy.enforceFrom -}}
{{- $_ := set $rendered "enforceFrom" (toString .) -}}
{{- end -}}
{{- $_ := set $policies $id $rendered -}}
{{- end -}}
{{- $config := dict "mode" .Values.mode "exemptNamespaces" .Values.exemptNamespaces "policies" $policies "maxExceptionDays" .Values.maxExceptionDays -}}
{{- with .Values.exceptions -}}
{{- $_ := set $config "exceptions" . -}}
{{- end -}}
# Rendered by the gatehouse Helm chart from its values: change the values, not this file.
{{ toYaml $config }}
{{- end -}}
