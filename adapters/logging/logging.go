// Package logging builds the slog loggers: a readable, coloured format with
// the original system's emoji markers for local runs, JSON for production.
// Both add the trace id of the request or event being handled, and both
// mask contact details that reach them as plain strings.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/pii"
)

// Format selects the output format.
type Format string

// Formats.
const (
	Pretty Format = "pretty"
	JSON   Format = "json"
	// Auto is Pretty on a terminal, JSON otherwise.
	Auto Format = "auto"
)

// ParseFormat validates s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", Auto:
		return Auto, nil
	case Pretty, JSON:
		return f, nil
	}
	return "", fmt.Errorf("log format %q is not pretty, json or auto", s)
}

// ParseLevel validates s ("debug", "info", "warn", "error").
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q is not debug, info, warn or error", s)
	}
	return l, nil
}

// Options shape a logger.
type Options struct {
	Format Format
	Level  slog.Level
	// NoColor turns colours off in the pretty format (the NO_COLOR
	// convention).
	NoColor bool
}

// New returns a logger writing to w.
func New(w io.Writer, o Options) *slog.Logger {
	format := o.Format
	if format == Auto || format == "" {
		format = JSON
		if f, ok := w.(*os.File); ok && isTerminal(f) {
			format = Pretty
		}
	}
	var h slog.Handler
	if format == Pretty {
		h = newPretty(w, o.Level, !o.NoColor)
	} else {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: o.Level})
	}
	return slog.New(&safe{next: h})
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// contactKeys are attribute names whose plain string values are contact
// details. Typed values (pii.Email...) mask themselves; this catches a plain
// string logged by mistake.
var contactKeys = map[string]bool{"email": true, "phone": true, "to": true, "recipient": true, "documentNumber": true}

// safe adds the trace id and masks contact details.
type safe struct{ next slog.Handler }

func (h *safe) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *safe) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redact(a))
		return true
	})
	if traceID, spanID := tracing.IDs(ctx); traceID != "" {
		out.AddAttrs(slog.String("traceId", traceID), slog.String("spanId", spanID))
	}
	return h.next.Handle(ctx, out)
}

func (h *safe) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redact(a)
	}
	return &safe{next: h.next.WithAttrs(clean)}
}

func (h *safe) WithGroup(name string) slog.Handler { return &safe{next: h.next.WithGroup(name)} }

func redact(a slog.Attr) slog.Attr {
	if !contactKeys[a.Key] || a.Value.Kind() != slog.KindString {
		return a
	}
	s := a.Value.String()
	if strings.Contains(s, "***") {
		return a
	}
	if a.Key == "documentNumber" {
		return slog.String(a.Key, pii.DocumentNumber(s).Masked())
	}
	return slog.String(a.Key, pii.MaskRecipient(s))
}
