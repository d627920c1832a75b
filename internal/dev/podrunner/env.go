package podrunner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// envResolver builds a container's environment the way a kubelet does:
// envFrom first, then env in order, each value able to refer to variables
// defined before it with $(NAME). Secrets and ConfigMaps are read through the
// API when the container starts, so a later change is not seen, as with a
// real container.
type envResolver struct {
	client   kubernetes.Interface
	pod      *corev1.Pod
	capacity corev1.ResourceList
	// each Secret's and ConfigMap's data, by kind and name, read once per start so several
	// references to one object cost one read (nil: an optional object that is missing)
	data map[string]map[string]string
}

// configError is a problem with the pod's configuration (a missing Secret, an
// unsupported field reference). The kubelet reports these as the waiting
// reason CreateContainerConfigError and retries, since the Secret may appear.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

func newEnvResolver(client kubernetes.Interface, pod *corev1.Pod, capacity corev1.ResourceList) *envResolver {
	return &envResolver{client: client, pod: pod, capacity: capacity, data: map[string]map[string]string{}}
}

// resolve returns the container's variables in definition order (later
// definitions of a name win when the process starts, as with execve).
func (r *envResolver) resolve(ctx context.Context, container *corev1.Container) ([]corev1.EnvVar, error) {
	var out []corev1.EnvVar
	defined := map[string]string{}
	set := func(name, value string) {
		out = append(out, corev1.EnvVar{Name: name, Value: value})
		defined[name] = value
	}
	for _, source := range container.EnvFrom {
		data, err := r.envFromData(ctx, source)
		if err != nil {
			return nil, err
		}
		for key, value := range data {
			set(source.Prefix+key, value)
		}
	}
	for _, env := range container.Env {
		if env.ValueFrom == nil {
			set(env.Name, expand(env.Value, defined))
			continue
		}
		value, found, err := r.valueFrom(ctx, container, env.ValueFrom)
		var cfgErr *configError
		if errors.As(err, &cfgErr) {
			return nil, err // the kubelet's message as it words it, without the variable's name
		}
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", env.Name, err)
		}
		if found {
			set(env.Name, value)
		}
	}
	return out, nil
}

func (r *envResolver) envFromData(ctx context.Context, source corev1.EnvFromSource) (map[string]string, error) {
	switch {
	case source.SecretRef != nil:
		return r.dataOf(ctx, kindSecret, source.SecretRef.Name, source.SecretRef.Optional)
	case source.ConfigMapRef != nil:
		return r.dataOf(ctx, kindConfigMap, source.ConfigMapRef.Name, source.ConfigMapRef.Optional)
	}
	return nil, nil
}

// valueFrom resolves one env source. found is false for an optional
// reference whose object or key is missing: the variable is then left unset.
func (r *envResolver) valueFrom(ctx context.Context, container *corev1.Container, source *corev1.EnvVarSource) (value string, found bool, err error) {
	switch {
	case source.SecretKeyRef != nil:
		ref := source.SecretKeyRef
		return r.keyOf(ctx, kindSecret, ref.Name, ref.Key, ref.Optional)
	case source.ConfigMapKeyRef != nil:
		ref := source.ConfigMapKeyRef
		return r.keyOf(ctx, kindConfigMap, ref.Name, ref.Key, ref.Optional)
	case source.FieldRef != nil:
		value, err := podField(r.pod, source.FieldRef.FieldPath)
		return value, err == nil, err
	case source.ResourceFieldRef != nil:
		value, err := resourceField(container, source.ResourceFieldRef, r.capacity)
		return value, err == nil, err
	}
	return "", false, configErrorf("env source of an unsupported kind")
}

// The kinds of object an env source may name, as the kubelet's messages spell them.
const (
	kindSecret    = "Secret"
	kindConfigMap = "ConfigMap"
)

// keyOf is one key of a Secret's or ConfigMap's data; found is false when an optional object or
// key is missing.
func (r *envResolver) keyOf(ctx context.Context, kind, name, key string, optional *bool) (value string, found bool, err error) {
	data, err := r.dataOf(ctx, kind, name, optional)
	if err != nil || data == nil {
		return "", false, err
	}
	value, ok := data[key]
	if !ok {
		if isOptional(optional) {
			return "", false, nil
		}
		return "", false, configErrorf("couldn't find key %s in %s %s/%s", key, kind, r.pod.Namespace, name)
	}
	return value, true, nil
}

// dataOf is a Secret's or ConfigMap's data as strings, read once per start; nil for a missing
// optional object.
func (r *envResolver) dataOf(ctx context.Context, kind, name string, optional *bool) (map[string]string, error) {
	if data, ok := r.data[kind+"/"+name]; ok {
		return data, nil
	}
	var data map[string]string
	var err error
	switch kind {
	case kindSecret:
		var secret *corev1.Secret
		if secret, err = r.client.CoreV1().Secrets(r.pod.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
			data = make(map[string]string, len(secret.Data))
			for key, value := range secret.Data {
				data[key] = string(value)
			}
		}
	case kindConfigMap:
		var configMap *corev1.ConfigMap
		if configMap, err = r.client.CoreV1().ConfigMaps(r.pod.Namespace).Get(ctx, name, metav1.GetOptions{}); err == nil {
			data = configMap.Data
			if data == nil {
				data = map[string]string{}
			}
		}
	}
	switch {
	case apierrors.IsNotFound(err) && isOptional(optional):
		data = nil
	case apierrors.IsNotFound(err):
		return nil, configErrorf("%s %q not found", strings.ToLower(kind), name)
	case err != nil:
		return nil, fmt.Errorf("reading %s %s/%s: %w", kind, r.pod.Namespace, name, err)
	}
	r.data[kind+"/"+name] = data
	return data, nil
}

func isOptional(optional *bool) bool { return optional != nil && *optional }

// podField supports the downward-API fields that mean something without a
// pod network: there is no pod or host IP to report.
func podField(pod *corev1.Pod, fieldPath string) (string, error) {
	switch fieldPath {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	}
	for prefix, values := range map[string]map[string]string{
		"metadata.labels":      pod.Labels,
		"metadata.annotations": pod.Annotations,
	} {
		if key, ok := strings.CutPrefix(fieldPath, prefix+"['"); ok {
			return values[strings.TrimSuffix(key, "']")], nil
		}
	}
	return "", configErrorf("fieldRef %q is not supported by podrunner (supported: metadata.name, metadata.namespace, metadata.uid, metadata.labels['…'], metadata.annotations['…'], spec.nodeName, spec.serviceAccountName)", fieldPath)
}

// resourceField mirrors the kubelet: a limit that is not set falls back to the
// node's capacity, and the value is divided by the divisor, rounding up.
func resourceField(container *corev1.Container, ref *corev1.ResourceFieldSelector, capacity corev1.ResourceList) (string, error) {
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", configErrorf("resourceFieldRef %q is not supported by podrunner", ref.Resource)
	}
	resourceName := corev1.ResourceName(name)
	list := container.Resources.Limits
	if kind == "requests" {
		list = container.Resources.Requests
	}
	quantity, ok := list[resourceName]
	if !ok {
		if kind == "requests" {
			quantity = resource.Quantity{}
		} else if quantity, ok = capacity[resourceName]; !ok {
			return "", configErrorf("resourceFieldRef %q: no such resource on this node", ref.Resource)
		}
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if resourceName == corev1.ResourceCPU {
		// Millicores keep fractional CPUs exact (500m / 1 rounds up to 1).
		return fmt.Sprint((quantity.MilliValue() + divisor.MilliValue() - 1) / divisor.MilliValue()), nil
	}
	return fmt.Sprint((quantity.Value() + divisor.Value() - 1) / divisor.Value()), nil
}

// expand replaces $(NAME) with a variable defined earlier, turns $$ into $,
// and leaves unknown references as written — the kubelet's rules for env
// values, command and args.
func expand(input string, defined map[string]string) string {
	var out strings.Builder
	for i := 0; i < len(input); i++ {
		if input[i] != '$' || i+1 >= len(input) {
			out.WriteByte(input[i])
			continue
		}
		switch next := input[i+1]; {
		case next == '$':
			out.WriteByte('$')
			i++
		case next == '(':
			end := strings.IndexByte(input[i+2:], ')')
			if end < 0 {
				out.WriteString(input[i:])
				return out.String()
			}
			name := input[i+2 : i+2+end]
			if value, ok := defined[name]; ok {
				out.WriteString(value)
			} else {
				out.WriteString(input[i : i+3+end])
			}
			i += 2 + end
		default:
			out.WriteByte('$')
		}
	}
	return out.String()
}
