package podrunner

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Mapping says which local binary stands in for a container image. Name is
// compared with the image reference (as written, without its tag or digest,
// and its last path element), so "backfill-operator" matches image
// "ghcr.io/ooheynerds/backfill-operator:v1". An image no rule names is one the
// runner cannot "pull": the container waits with the kubelet's reasons.
type Mapping struct {
	Name   string
	Binary string
}

// String renders the mapping the way --map takes it.
func (m Mapping) String() string { return m.Name + "=" + m.Binary }

// ParseMapping parses NAME=BINARY, the --map flag syntax.
func ParseMapping(s string) (Mapping, error) {
	name, binary, ok := strings.Cut(s, "=")
	name, binary = strings.TrimSpace(name), strings.TrimSpace(binary)
	if !ok || name == "" || binary == "" {
		return Mapping{}, fmt.Errorf("mapping %q: want NAME=/path/to/binary", s)
	}
	return Mapping{Name: name, Binary: binary}, nil
}

// unmappedError explains a failed "pull": no rule names the image.
type unmappedError struct {
	image string
	rules []Mapping
}

func (e *unmappedError) Error() string {
	names := make([]string, len(e.rules))
	for i, rule := range e.rules {
		names[i] = rule.Name
	}
	return fmt.Sprintf("podrunner has no --map rule for image %q; known names: [%s]", e.image, strings.Join(names, ", "))
}

// binaryFor is the binary of the first rule that names image.
func binaryFor(rules []Mapping, image string) (string, bool) {
	candidates := mappingCandidates(image)
	for _, rule := range rules {
		for _, candidate := range candidates {
			if rule.Name == candidate {
				return rule.Binary, true
			}
		}
	}
	return "", false
}

// resolveArgv picks the binary for a container by its image and builds the
// argv it runs: the binary replaces command[0] (the path inside the image),
// and the rest of command and args follow unchanged. With no command, the
// binary stands for the image's entrypoint and receives args.
func resolveArgv(rules []Mapping, container *corev1.Container) ([]string, error) {
	binary, ok := binaryFor(rules, container.Image)
	if !ok {
		return nil, &unmappedError{image: container.Image, rules: rules}
	}
	argv := []string{binary}
	if len(container.Command) > 0 {
		argv = append(argv, container.Command[1:]...)
	}
	return append(argv, container.Args...), nil
}

// mappingCandidates lists the names a rule may use for an image, most
// specific first.
func mappingCandidates(image string) []string {
	var out []string
	add := func(s string) {
		if s != "" && s != "." && s != "/" {
			out = append(out, s)
		}
	}
	add(image)
	repository := image
	if at := strings.Index(repository, "@"); at >= 0 {
		repository = repository[:at]
	}
	// A colon after the last slash is a tag; one before it is a registry port.
	if colon := strings.LastIndex(repository, ":"); colon > strings.LastIndex(repository, "/") {
		repository = repository[:colon]
	}
	add(repository)
	add(path.Base(repository))
	return out
}
