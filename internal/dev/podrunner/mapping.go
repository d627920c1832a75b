package podrunner

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Mapping says which local binary stands in for a container image. Name is
// compared with the image reference (as written, without its tag or digest,
// and its last path element) and with the base name of the container's
// command[0], so "backfill-operator" matches image
// "ghcr.io/ooheynerds/backfill-operator:v1" and command ["/backfill-operator"].
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

// unmappedError is returned when no rule maps a container: the pod fails with
// reason ImageNotMapped instead of waiting for an image that will never exist.
type unmappedError struct {
	container, image, command string
	rules                     []Mapping
}

func (e *unmappedError) Error() string {
	names := make([]string, len(e.rules))
	for i, rule := range e.rules {
		names[i] = rule.Name
	}
	return fmt.Sprintf("podrunner has no --map rule for container %q (image %q, command[0] %q); known names: [%s]",
		e.container, e.image, e.command, strings.Join(names, ", "))
}

// resolveArgv picks the binary for a container and builds the argv it runs:
// the binary replaces command[0] (the path inside the image), and the rest of
// command and args follow unchanged. With no command, the binary stands for
// the image's entrypoint and receives args.
func resolveArgv(rules []Mapping, container *corev1.Container) ([]string, error) {
	var command0 string
	if len(container.Command) > 0 {
		command0 = container.Command[0]
	}
	candidates := mappingCandidates(container.Image, command0)
	for _, rule := range rules {
		for _, candidate := range candidates {
			if rule.Name != candidate {
				continue
			}
			argv := []string{rule.Binary}
			if len(container.Command) > 0 {
				argv = append(argv, container.Command[1:]...)
			}
			return append(argv, container.Args...), nil
		}
	}
	return nil, &unmappedError{container: container.Name, image: container.Image, command: command0, rules: rules}
}

// mappingCandidates lists the names a rule may use for this container, most
// specific first.
func mappingCandidates(image, command0 string) []string {
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
	if command0 != "" {
		add(path.Base(command0))
	}
	return out
}
