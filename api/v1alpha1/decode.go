package v1alpha1

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// UndecodableError says which field of a stored object the API types cannot represent (a
// duration that does not parse, a number too large for its field, a value of another type):
// such an object was stored before today's validation, or while validation was off.
// +kubebuilder:object:generate=false
type UndecodableError struct {
	// Field is the path of the first field that fails, for example spec.job.pendingDeadline.
	Field string
	Err   error
}

func (e *UndecodableError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *UndecodableError) Unwrap() error { return e.Err }

// DecodeCampaign converts a stored campaign into the typed API. The operator reads campaigns
// unstructured and converts them one by one, so that one object it cannot interpret affects
// only itself and never the informer that serves every other campaign.
func DecodeCampaign(u *unstructured.Unstructured) (*BackfillCampaign, error) {
	// JSON, as the API machinery decodes: it refuses a number too large for its field, where a
	// direct conversion would wrap it silently.
	var c BackfillCampaign
	data, err := json.Marshal(u.Object)
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if err != nil {
		field, cause := firstUndecodable(u.Object, reflect.TypeOf(c), "")
		if field == "" {
			field, cause = "object", err
		}
		return nil, &UndecodableError{Field: field, Err: cause}
	}
	return &c, nil
}

// firstUndecodable walks the stored value beside the Go type it should decode into and returns
// the deepest path that fails to decode, and why.
func firstUndecodable(v any, t reflect.Type, path string) (string, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	err := decodeAs(v, t)
	if err == nil {
		return "", nil
	}
	switch val := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "" || name == "-" {
					if f.Anonymous { // inlined (TypeMeta): its fields sit in this map
						if p, e := firstUndecodable(val, f.Type, path); p != "" {
							return p, e
						}
					}
					continue
				}
				if sub, ok := val[name]; ok {
					if p, e := firstUndecodable(sub, f.Type, join(path, name)); p != "" {
						return p, e
					}
				}
			}
		case reflect.Map:
			for k, sub := range val {
				if p, e := firstUndecodable(sub, t.Elem(), path+"["+k+"]"); p != "" {
					return p, e
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, sub := range val {
				if p, e := firstUndecodable(sub, t.Elem(), path+"["+strconv.Itoa(i)+"]"); p != "" {
					return p, e
				}
			}
		}
	}
	if path == "" {
		return "", err
	}
	return path, err
}

func decodeAs(v any, t reflect.Type) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, reflect.New(t).Interface()); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf("cannot hold %s value %s", typeErr.Value, strings.TrimSpace(string(data)))
		}
		return err
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
