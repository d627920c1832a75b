package main

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// krewPlatforms are the platforms every kubectl plugin is released for (make release builds
// one archive per platform).
var krewPlatforms = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// krewCommand writes a krew plugin manifest (NAME.yaml, krew's file name for it) for one kubectl
// plugin from its release archives (kubectl-NAME-VERSION-OS-ARCH.tar.gz in dir), with their
// SHA-256 sums. It refuses an archive that does not hold the plugin's binary at its top, which
// krew would fail to install.
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
	if !strings.HasPrefix(*version, "v") {
		return fmt.Errorf("version %q: krew wants a semantic version with a v prefix (v1.2.3)", *version)
	}
	var platforms []map[string]any
	for _, p := range krewPlatforms {
		goos, arch := p[0], p[1]
		archive := fmt.Sprintf("%s-%s-%s-%s.tar.gz", *plugin, *version, goos, arch)
		path := filepath.Join(*dir, archive)
		if err := archiveHolds(path, *plugin); err != nil {
			return err
		}
		sum, err := sha256File(path)
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
	manifest := map[string]any{
		"apiVersion": "krew.googlecontainertools.github.com/v1alpha2",
		"kind":       "Plugin",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"version":          *version,
			"homepage":         "https://github.com/ooheynerds/backfill-operator",
			"shortDescription": "Watch and steer backfill-operator campaigns",
			"description": `Shows BackfillCampaigns and their months for a person: status (phases and gates,
months by state, totals, budget, next admission, ETA, last errors), the months table with
filters, and a calendar heatmap. Previews a campaign's plan from its manifest without a
cluster, approves phases, suspends and resumes campaigns, asks for reruns of finished months,
and prints a month's worker log.`,
			"platforms": platforms,
		},
	}
	data, err := yaml.Marshal(manifest)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*dir, name+".yaml"), data, 0o644)
}

// archiveHolds checks that the tar.gz at path has the regular file bin at its top level.
func archiveHolds(path, bin string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s does not hold %s at its top level", path, bin)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if filepath.Clean(h.Name) == bin && h.Typeflag == tar.TypeReg {
			if h.Mode&0o111 == 0 {
				return fmt.Errorf("%s: %s is not executable", path, bin)
			}
			return nil
		}
	}
}
