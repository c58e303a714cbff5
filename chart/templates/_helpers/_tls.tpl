{{/* TLS between the API server and Gatehouse: secret names, DNS names, generated certificates. */}}

{{/*
Each TLS mode has its own Secret name, so switching modes never makes the chart
claim a Secret cert-manager (or you) still own.
*/}}
{{- define "gatehouse.tlsSecretName" -}}
{{- $mode := .Values.tls.mode -}}
{{- if eq $mode "secret" -}}
{{- .Values.tls.secret.name -}}
{{- else if eq $mode "cert-manager" -}}
{{- printf "%s-cert-manager-tls" (include "gatehouse.fullname" .) -}}
{{- else if eq $mode "managed" -}}
{{- printf "%s-managed-tls" (include "gatehouse.fullname" .) -}}
{{- else -}}
{{- printf "%s-tls" (include "gatehouse.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The Service's DNS names, as a JSON list: the API server dials <service>.<namespace>.svc. */}}
{{- define "gatehouse.dnsNames" -}}
{{- $service := include "gatehouse.fullname" . -}}
{{- $host := include "gatehouse.serviceHost" . -}}
{{- toJson (list $service (printf "%s.%s" $service .Release.Namespace) $host (printf "%s.%s" $host .Values.clusterDomain)) -}}
{{- end -}}

{{/*
tls.mode=chart: the CA, certificate and key (base64, as Secret data) plus the
annotations that describe them, as JSON. A new CA on every `helm upgrade` would
leave the webhook's caBundle and the pods' mounted certificate disagreeing until
the kubelet refreshes the Secret volume, failing reviews meanwhile; so the
existing Secret is reused unless it names other DNS names (the Service was
renamed) or expires within tls.chart.renewBeforeDays. Without a cluster (helm
template) `lookup` finds nothing and a new pair is generated.
*/}}
{{- define "gatehouse.generatedTLS" -}}
{{- $names := include "gatehouse.dnsNames" . | fromJsonArray -}}
{{- $namesKey := join "," $names -}}
{{- $timeFormat := "2006-01-02T15:04:05Z07:00" -}}
{{- $renewBy := now | dateModify (printf "+%dh" (mul .Values.tls.chart.renewBeforeDays 24)) -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "gatehouse.tlsSecretName" .) -}}
{{- $data := dig "data" dict $existing -}}
{{- $annotations := dig "metadata" "annotations" dict $existing -}}
{{- $notAfter := toDate $timeFormat (get $annotations "gatehouse.io/tls-not-after") -}}
{{- if and (hasKey $data "ca.crt") (hasKey $data "tls.crt") (hasKey $data "tls.key")
           (eq (get $annotations "gatehouse.io/tls-dns-names") $namesKey)
           ($notAfter.After $renewBy) -}}
{{- toJson (dict "ca" (get $data "ca.crt") "cert" (get $data "tls.crt") "key" (get $data "tls.key")
                 "dnsNames" $namesKey "notAfter" (get $annotations "gatehouse.io/tls-not-after")) -}}
{{- else -}}
{{- $days := int .Values.tls.chart.validityDays -}}
{{- $ca := genCA (printf "%s-ca" (include "gatehouse.fullname" .)) $days -}}
{{- $cert := genSignedCert (include "gatehouse.serviceHost" .) nil $names $days $ca -}}
{{- $expires := now | dateModify (printf "+%dh" (mul $days 24)) -}}
{{- toJson (dict "ca" ($ca.Cert | b64enc) "cert" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc)
                 "dnsNames" $namesKey "notAfter" (dateInZone $timeFormat $expires "UTC")) -}}
{{- end -}}
{{- end -}}

{{- define "gatehouse.certificateName" -}}
{{- printf "%s-serving" (include "gatehouse.fullname" .) -}}
{{- end -}}

{{/*
tls.mode=managed: the caBundle the webhook configuration holds now, or "". The pods
fill it in; rendering it back keeps it where it is through `helm upgrade`, above all
the one that switches from tls.mode=chart, whose manifest set it: without it Helm
would remove it and the running pods' certificate would not verify until a new pod
puts it back. Without a cluster (helm template, Argo CD) it is "" and the field is
left out: nothing random is rendered, and the GitOps tool is told to ignore it.
*/}}
{{- define "gatehouse.liveCaBundle" -}}
{{- $live := lookup "admissionregistration.k8s.io/v1" "ValidatingWebhookConfiguration" "" (include "gatehouse.fullname" .) -}}
{{- $webhooks := dig "webhooks" list $live -}}
{{- if $webhooks -}}
{{- dig "clientConfig" "caBundle" "" (first $webhooks) -}}
{{- end -}}
{{- end -}}

{{/* tls.mode=managed: a serving certificate may not outlive its CA. */}}
{{- define "gatehouse.managedTLS" -}}
{{- $managed := .Values.tls.managed -}}
{{- if gt (int $managed.certValidityDays) (int $managed.caValidityDays) -}}
{{- fail (printf "tls.managed.certValidityDays (%d) must not exceed tls.managed.caValidityDays (%d)" (int $managed.certValidityDays) (int $managed.caValidityDays)) -}}
{{- end -}}
{{- toJson $managed -}}
{{- end -}}
