package fakes

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// NewCommand returns the `fakes` command: it serves every fake on one address, prints the base
// URLs as one JSON line on stdout once listening, and runs until SIGINT or SIGTERM.
func NewCommand() *cobra.Command {
	var (
		addr       string
		seed       uint64
		rate       float64
		quota      int
		faultsFile string
	)
	cmd := &cobra.Command{
		Use:   "fakes",
		Short: "Serve in-process fakes of Gemini, xAI, ISBNdb, Google Books, Open Library, LoC, Wikidata and Archive.org",
		Long: `Serve faithful fakes of every external API the worker calls, from one HTTP server.

Each provider lives under its own path prefix; the JSON line printed at start-up gives the base
URL to configure for each. Faults can be changed while running with PUT /_fake/faults, request
counts read with GET /_fake/calls, and everything reset with POST /_fake/reset.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := Options{Addr: addr, Seed: seed, ISBNdbRate: rate, ISBNdbDailyQuota: quota}
			if faultsFile != "" {
				raw, err := os.ReadFile(faultsFile)
				if err != nil {
					return fmt.Errorf("read faults file: %w", err)
				}
				if err := json.Unmarshal(raw, &opts.Faults); err != nil {
					return fmt.Errorf("parse faults file %s: %w", faultsFile, err)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := Start(ctx, opts)
			if err != nil {
				return err
			}
			line, err := json.Marshal(srv.BaseURLs())
			if err != nil {
				return fmt.Errorf("encode base URLs: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(line))
			<-ctx.Done()
			return srv.Close()
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8089", "address to listen on")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed for reproducible fault injection")
	cmd.Flags().Float64Var(&rate, "isbndb-rate", DefaultISBNdbRate, "ISBNdb requests per second per key before 429")
	cmd.Flags().IntVar(&quota, "isbndb-daily-quota", DefaultISBNdbDailyQuota, "ISBNdb calls per key per UTC day before 403")
	cmd.Flags().StringVar(&faultsFile, "faults", "", `JSON file of faults per provider, e.g. {"gemini":{"errorRate":0.2}}`)
	return cmd
}
