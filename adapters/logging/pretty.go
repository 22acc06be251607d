package logging

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// pretty writes one readable line per record:
//
//	10:04:05.123 INFO  [service-customer] 🆕 customer onboarded customerId=0190… email=j***@example.com
type pretty struct {
	mu      *sync.Mutex
	w       io.Writer
	level   slog.Leveler
	color   bool
	prefix  string // pre-rendered attributes from WithAttrs
	group   string
	service string // shown as a tag up front rather than as an attribute
}

func newPretty(w io.Writer, level slog.Leveler, color bool) *pretty {
	return &pretty{mu: &sync.Mutex{}, w: w, level: level, color: color}
}

const (
	reset  = "\x1b[0m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	green  = "\x1b[32m"
	bold   = "\x1b[1m"
)

func (h *pretty) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *pretty) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	h.paint(&b, dim, r.Time.Format("15:04:05.000"))
	b.WriteByte(' ')
	switch {
	case r.Level >= slog.LevelError:
		h.paint(&b, red+bold, "ERROR")
	case r.Level >= slog.LevelWarn:
		h.paint(&b, yellow, "WARN ")
	case r.Level >= slog.LevelInfo:
		h.paint(&b, green, "INFO ")
	default:
		h.paint(&b, dim, "DEBUG")
	}
	b.WriteByte(' ')
	service := h.service
	var attrs bytes.Buffer
	attrs.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "service" && h.group == "" {
			service = a.Value.String()
			return true
		}
		h.attr(&attrs, h.group, a)
		return true
	})
	if service != "" {
		h.paint(&b, cyan, "["+service+"] ")
	}
	b.WriteString(marker(r) + r.Message)
	b.Write(attrs.Bytes())
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b.Bytes())
	return err
}

func (h *pretty) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	var b bytes.Buffer
	b.WriteString(h.prefix)
	for _, a := range attrs {
		if a.Key == "service" && h.group == "" {
			c.service = a.Value.String()
			continue
		}
		h.attr(&b, h.group, a)
	}
	c.prefix = b.String()
	return &c
}

func (h *pretty) WithGroup(name string) slog.Handler {
	c := *h
	c.group = strings.TrimPrefix(h.group+"."+name, ".")
	return &c
}

func (h *pretty) attr(b *bytes.Buffer, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			h.attr(b, key, g)
		}
		return
	}
	b.WriteByte(' ')
	h.paint(b, dim, key+"=")
	v := ""
	switch a.Value.Kind() {
	case slog.KindDuration:
		v = a.Value.Duration().Round(time.Microsecond).String()
	case slog.KindTime:
		v = a.Value.Time().Format(time.RFC3339)
	default:
		v = a.Value.String()
	}
	if strings.ContainsAny(v, " \t\n\"") {
		v = fmt.Sprintf("%q", v)
	}
	if key == "error" {
		h.paint(b, red, v)
		return
	}
	b.WriteString(v)
}

func (h *pretty) paint(b *bytes.Buffer, color, s string) {
	if h.color {
		b.WriteString(color)
		b.WriteString(s)
		b.WriteString(reset)
		return
	}
	b.WriteString(s)
}
