package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// krewCommand writes a krew plugin manifest for one kubectl plugin from its release archives
// (kubectl-NAME-VERSION-OS-ARCH.tar.gz in dir), with their SHA-256 sums.
func krewCommand(args []string) error {
	fs := flag.NewFlagSet("krew", flag.ContinueOnError)
	plugin := fs.String("plugin", "", "plugin binary name, kubectl-NAME")
	version := fs.String("version", "", "release version (v1.2.3)")
	dir := fs.String("dir", "", "the release directory holding the archives")
	baseURL := fs.String("base-url", "https://github.com/ooheynerds/backfill-operator/releases/download", "where the release's files are downloaded from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	name, ok := strings.CutPrefix(*plugin, "kubectl-")
	if !ok || name == "" {
		return fmt.Errorf("plugin %q is not kubectl-NAME", *plugin)
	}
	var platforms []map[string]any
	for _, goos := range []string{"linux", "darwin"} {
		for _, arch := range []string{"amd64", "arm64"} {
			archive := fmt.Sprintf("%s-%s-%s-%s.tar.gz", *plugin, *version, goos, arch)
			sum, err := sha256File(filepath.Join(*dir, archive))
			if err != nil {
				return err
			}
			platforms = append(platforms, map[string]any{
				"selector": map[string]any{"matchLabels": map[string]string{"os": goos, "arch": arch}},
				"uri":      *baseURL + "/" + *version + "/" + archive,
				"sha256":   sum,
				"bin":      *plugin,
				"files":    []map[string]string{{"from": *plugin, "to": "."}},
			})
		}
	}
	manifest := map[string]any{
		"apiVersion": "krew.googlecontainertools.github.com/v1alpha2",
		"kind":       "Plugin",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"version":          *version,
			"homepage":         "https://github.com/ooheynerds/backfill-operator",
			"shortDescription": "Inspect and steer backfill-operator campaigns",
			"platforms":        platforms,
		},
	}
	data, err := yaml.Marshal(manifest)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*dir, name+".krew.yaml"), data, 0o644)
}
