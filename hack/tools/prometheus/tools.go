//go:build tools

// Package tools pins promtool, which checks and unit-tests the PrometheusRule and checks the
// manager's /metrics exposition; built from the Prometheus module into bin/promtool.
package tools

import _ "github.com/prometheus/prometheus/cmd/promtool"
