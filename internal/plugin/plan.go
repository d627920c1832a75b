package plugin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/aggregate"
	"github.com/ooheynerds/backfill-operator/internal/plugin/render"
)

// PlanResult is the machine-readable plan (-o json|yaml).
type PlanResult struct {
	Campaign   string                `json:"campaign"`
	Models     int                   `json:"models"`
	Phases     []render.PhasePlan    `json:"phases"`
	Estimate   v1alpha1.PlanEstimate `json:"estimate"`
	ETA        *time.Time            `json:"eta,omitempty"`
	BudgetDays int64                 `json:"budgetDays"`
}

func (a *app) planCommand() *cobra.Command {
	var file, output string
	models := aggregate.DefaultModels
	cmd := &cobra.Command{
		Use:   "plan -f CAMPAIGN.yaml",
		Short: "Preview a campaign without a cluster: months per phase, admission order, days, ETA, estimated calls and budget days",
		Long: `plan reads a BackfillCampaign manifest and shows what Plan mode would show for it, computed by
the controller's own planning and estimating functions with the API's defaults, so the preview
and a campaign applied with spec.mode: Plan agree. It needs no cluster.`,
		Example: `  kubectl backfill plan -f config/samples/campaign.yaml
  kubectl backfill plan -f campaign.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("give the campaign manifest with -f FILE (- reads standard input)")
			}
			var in io.Reader = a.Streams.In
			if file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			data, err := io.ReadAll(in)
			if err != nil {
				return err
			}
			c, err := DecodeCampaignManifest(data)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			if models < 1 || models > 10 {
				return fmt.Errorf("--models must be between 1 and 10, not %d", models)
			}
			v := Preview(c, models, a.Now())
			switch output {
			case "":
				render.Plan(a.Streams.Out, v)
				return nil
			case "json", "yaml":
				r := PlanResult{Campaign: c.Name, Models: models, Phases: v.Phases(), Estimate: v.Preview.Estimate, BudgetDays: v.BudgetDays()}
				if v.Preview.Estimate.MonthsRemaining > 0 {
					eta := v.Preview.ETA.UTC()
					r.ETA = &eta
				}
				var out []byte
				if output == "json" {
					out, err = json.MarshalIndent(r, "", "  ")
					out = append(out, '\n')
				} else {
					out, err = yaml.Marshal(r)
				}
				if err != nil {
					return err
				}
				_, err = a.Streams.Out.Write(out)
				return err
			}
			return fmt.Errorf("-o must be json or yaml, not %q", output)
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "the BackfillCampaign manifest (- for standard input)")
	cmd.Flags().IntVar(&models, "models", models, "LLMs each month calls (the manager's --models)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml (default: text)")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}

// Preview plans campaign c at now as Plan mode would.
func Preview(c *v1alpha1.BackfillCampaign, models int, now time.Time) render.PlanView {
	return render.PlanView{Name: c.Name, Spec: &c.Spec, Preview: aggregate.PreviewOf(c.Name, &c.Spec, models, now), Models: models, Now: now}
}

// DecodeCampaignManifest reads one BackfillCampaign as the API server would accept it: unknown
// fields are errors (as with server-side apply), and the checks the numbers depend on are made
// here with the field named, since no API server validates a preview.
func DecodeCampaignManifest(data []byte) (*v1alpha1.BackfillCampaign, error) {
	docs, err := documents(data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("want one BackfillCampaign, found %d YAML documents", len(docs))
	}
	var c v1alpha1.BackfillCampaign
	if err := yaml.UnmarshalStrict(docs[0], &c); err != nil {
		return nil, fmt.Errorf("not a BackfillCampaign manifest (one document): %w", err)
	}
	if c.Kind != "BackfillCampaign" || c.APIVersion != v1alpha1.GroupVersion.String() {
		return nil, fmt.Errorf("kind %q apiVersion %q: want kind BackfillCampaign, apiVersion %s", c.Kind, c.APIVersion, v1alpha1.GroupVersion)
	}
	if c.Name == "" {
		return nil, errors.New("metadata.name is required: months are named <campaign>-YYYY-MM")
	}
	if len(c.Name) > 52 {
		return nil, errors.New("metadata.name: at most 52 characters")
	}
	if len(c.Spec.Phases) == 0 || len(c.Spec.Phases) > 10 {
		return nil, errors.New("spec.phases: give 1 to 10 phases")
	}
	seen := map[string]bool{}
	for i, p := range c.Spec.Phases {
		at := fmt.Sprintf("spec.phases[%d]", i)
		switch {
		case p.Name == "" || seen[p.Name]:
			return nil, fmt.Errorf("%s.name: each phase needs a unique name", at)
		case p.Years.From < 1900 || p.Years.To > 2100 || p.Years.From > p.Years.To:
			return nil, fmt.Errorf("%s.years: from and to within 1900-2100, from not after to", at)
		case p.Months != nil && (p.Months.From < 1 || p.Months.To > 12 || p.Months.From > p.Months.To):
			return nil, fmt.Errorf("%s.months: from and to within 1-12, from not after to", at)
		case p.MonthsPerDay < 1:
			return nil, fmt.Errorf("%s.monthsPerDay: at least 1", at)
		case p.MaxConcurrent < 1:
			return nil, fmt.Errorf("%s.maxConcurrent: at least 1", at)
		}
		seen[p.Name] = true
	}
	return &c, nil
}

// documents splits a YAML stream into its non-empty documents.
func documents(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
}

func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
		}
	}
	return out
}
