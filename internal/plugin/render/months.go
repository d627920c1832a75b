package render

import (
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// MonthsTableOptions tune MonthsTable.
type MonthsTableOptions struct {
	Now time.Time
	// Wide adds the campaign, the next retry and the last error.
	Wide bool
	// WithNamespace adds the NAMESPACE column (-A).
	WithNamespace bool
	NoHeaders     bool
}

// MonthsTable prints months as kubectl prints tables (kubectl's own table printer): the
// columns of `kubectl get bfm`, and with Wide the campaign, the next retry and the last error.
func MonthsTable(w io.Writer, months []v1alpha1.BackfillMonth, o MonthsTableOptions) error {
	wide := func(name string) metav1.TableColumnDefinition {
		return metav1.TableColumnDefinition{Name: name, Type: "string", Priority: 1}
	}
	col := func(name, typ string) metav1.TableColumnDefinition {
		return metav1.TableColumnDefinition{Name: name, Type: typ}
	}
	table := &metav1.Table{ColumnDefinitions: []metav1.TableColumnDefinition{
		col("Name", "string"), col("Year", "integer"), col("Month", "integer"), col("Phase", "string"), col("State", "string"),
		col("Books", "integer"), col("Resolved", "integer"), col("Rate", "string"), col("Attempts", "integer"), col("Age", "string"),
		wide("Campaign"), wide("Next Retry"), wide("Last Error"),
	}}
	for i := range months {
		m := &months[i]
		books, resolved, rate := any(""), any(""), m.Status.Metrics.ResolutionRate
		if len(m.Status.History) > 0 && m.EffectiveState() != v1alpha1.MonthProcessing || m.Status.Metrics.BooksGenerated > 0 {
			books, resolved = int64(m.Status.Metrics.BooksGenerated), int64(m.Status.Metrics.ISBNsResolved)
		}
		next := "<none>"
		if m.EffectiveState() == v1alpha1.MonthRetry && m.Status.NextRetryAt != nil {
			next = When(m.Status.NextRetryAt.Time, o.Now)
		}
		lastErr := "<none>"
		if m.Status.LastError != "" {
			lastErr = oneLine(m.Status.LastError, 80)
		}
		table.Rows = append(table.Rows, metav1.TableRow{
			Cells: []any{m.Name, int64(m.Spec.Year), int64(m.Spec.Month), m.Spec.Phase, string(m.EffectiveState()),
				books, resolved, rate, int64(m.Status.Attempts), Age(m.CreationTimestamp.Time, o.Now),
				m.Spec.Campaign, next, lastErr},
			Object: runtime.RawExtension{Object: m},
		})
	}
	p := printers.NewTablePrinter(printers.PrintOptions{Wide: o.Wide, WithNamespace: o.WithNamespace, NoHeaders: o.NoHeaders})
	if err := p.PrintObj(table, w); err != nil {
		return fmt.Errorf("printing the months table: %w", err)
	}
	return nil
}
