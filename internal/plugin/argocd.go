package plugin

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What marks an object as synced by Argo CD: its annotation-based tracking, or one of the
// labels its label-based tracking uses (app.kubernetes.io/instance is the default).
const (
	argoTrackingAnnotation = "argocd.argoproj.io/tracking-id"
	argoInstanceLabel      = "argocd.argoproj.io/instance"
	appInstanceLabel       = "app.kubernetes.io/instance"
)

// ArgoCDApp names the Argo CD application that tracks obj, and ok false when nothing says
// Argo CD manages it.
func ArgoCDApp(obj metav1.Object) (app string, ok bool) {
	if id, found := obj.GetAnnotations()[argoTrackingAnnotation]; found {
		// <app>:<group>/<kind>:<namespace>/<name>
		for i := 0; i < len(id); i++ {
			if id[i] == ':' {
				return id[:i], true
			}
		}
		return id, true
	}
	for _, l := range []string{argoInstanceLabel, appInstanceLabel} {
		if v, found := obj.GetLabels()[l]; found {
			return v, true
		}
	}
	return "", false
}
