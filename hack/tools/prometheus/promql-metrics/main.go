// Command promql-metrics parses PromQL expressions with Prometheus' own parser and prints the
// metric names each one selects, so the operator's tests can check that its dashboard and
// alerts only query metrics the manager exports. It lives in this tool module so the
// operator's go.mod does not carry Prometheus' server dependencies.
//
// Input: one JSON string (an expression) per line on stdin. Output: per line, a JSON object
// {"expr": ..., "metrics": [...]} or {"expr": ..., "error": ...}. Exit code 1 if any failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Expr    string   `json:"expr"`
	Metrics []string `json:"metrics,omitempty"`
	Error   string   `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	failed := false
	p := parser.NewParser(parser.Options{})
	for in.Scan() {
		var expr string
		if err := json.Unmarshal(in.Bytes(), &expr); err != nil {
			fmt.Fprintln(os.Stderr, "reading an expression:", err)
			os.Exit(2)
		}
		r := result{Expr: expr}
		parsed, err := p.ParseExpr(expr)
		if err != nil {
			r.Error, failed = err.Error(), true
		} else {
			for _, sel := range parser.ExtractSelectors(parsed) {
				for _, m := range sel {
					if m.Name == labels.MetricName && m.Type == labels.MatchEqual && !slices.Contains(r.Metrics, m.Value) {
						r.Metrics = append(r.Metrics, m.Value)
					}
				}
			}
		}
		if err := out.Encode(r); err != nil {
			os.Exit(2)
		}
	}
	if in.Err() != nil {
		fmt.Fprintln(os.Stderr, in.Err())
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}
