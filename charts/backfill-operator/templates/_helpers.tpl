{{- define "backfill.prefix" -}}{{ .Values.namePrefix | trunc 40 | trimSuffix "-" }}{{- end -}}

{{- define "backfill.labels" -}}
app.kubernetes.io/name: backfill-operator
app.kubernetes.io/part-of: backfill-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "backfill.selector" -}}
app.kubernetes.io/name: backfill-operator
control-plane: controller-manager
{{- end -}}

{{- define "backfill.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "backfill.managerSA" -}}{{ include "backfill.prefix" . }}-controller-manager{{- end -}}
