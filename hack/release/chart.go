package main

import (
	"flag"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
)

// chartCommand lints the chart with Helm's own linter and packages it (helm package) with the
// release's version as chart version and appVersion, which is also the default image tag.
func chartCommand(args []string) error {
	fs := flag.NewFlagSet("chart", flag.ContinueOnError)
	dir := fs.String("chart", "charts/backfill-operator", "the chart directory")
	version := fs.String("version", "", "release version (v1.2.3); empty keeps Chart.yaml's")
	out := fs.String("out", "dist", "directory for the .tgz")
	if err := fs.Parse(args); err != nil {
		return err
	}
	linter := lint.All(*dir, nil, "backfill-system", false)
	for _, m := range linter.Messages {
		fmt.Println(m)
	}
	if linter.HighestSeverity >= 2 { // support.ErrorSev: warnings pass, errors do not
		return fmt.Errorf("helm lint %s failed", *dir)
	}
	ch, err := loader.Load(*dir)
	if err != nil {
		return err
	}
	if *version != "" {
		ch.Metadata.Version = strings.TrimPrefix(*version, "v")
		ch.Metadata.AppVersion = *version
	}
	file, err := chartutil.Save(ch, *out)
	if err != nil {
		return err
	}
	fmt.Println(file)
	return nil
}
