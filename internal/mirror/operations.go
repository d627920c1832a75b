package mirror

import (
	_ "embed"
	"strings"
)

//go:embed operations.sql
var operationsSQL string

// Query is one named operations query.
type Query struct {
	Name string
	SQL  string
}

// OperationsQueries are the seed's operations queries over backfill_log, in file order.
func OperationsQueries() []Query {
	var out []Query
	for _, part := range strings.Split(operationsSQL, "-- name: ")[1:] {
		name, sql, _ := strings.Cut(part, "\n")
		out = append(out, Query{Name: strings.TrimSpace(name), SQL: strings.TrimSpace(sql)})
	}
	return out
}
