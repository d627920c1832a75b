package plugin

import (
	"bytes"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

type watchFlags struct {
	watch    bool
	interval time.Duration
}

func (f *watchFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&f.watch, "watch", "w", false, "redraw every --interval until interrupted")
	cmd.Flags().DurationVar(&f.interval, "interval", 5*time.Second, "time between redraws with --watch")
}

// show draws one frame, or with --watch redraws it every interval: in place on a terminal,
// as successive frames headed by their time otherwise (a pipe, a log). Errors of one frame
// during a watch are shown and the next frame tries again, as kubectl get -w rides out a
// broken connection.
func (a *app) show(cmd *cobra.Command, f watchFlags, frame func(*bytes.Buffer) error) error {
	if !f.watch {
		var buf bytes.Buffer
		err := frame(&buf)
		_, _ = a.Streams.Out.Write(buf.Bytes())
		return err
	}
	if f.interval < 100*time.Millisecond {
		return fmt.Errorf("--interval must be at least 100ms, not %s", f.interval)
	}
	ctx := ctxOf(cmd)
	tty := a.IsTerminal(a.Streams.Out)
	ticker := time.NewTicker(f.interval)
	defer ticker.Stop()
	for n := 1; ; n++ {
		var buf bytes.Buffer
		if tty {
			buf.WriteString("\x1b[H\x1b[2J") // home and clear: redraw in place
		} else if n > 1 {
			buf.WriteString("\n")
		}
		if !tty {
			fmt.Fprintf(&buf, "--- %s\n", a.Now().UTC().Format(time.RFC3339))
		}
		if err := frame(&buf); err != nil {
			fmt.Fprintf(&buf, "error: %v\n", err)
		}
		_, _ = a.Streams.Out.Write(buf.Bytes())
		if a.MaxFrames > 0 && n >= a.MaxFrames {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}
