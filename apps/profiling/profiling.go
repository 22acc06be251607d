// Package profiling is the profiling service's composition root: which
// storage, which broker, which rule table, which routes.
package profiling

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/runner"
	"github.com/fintechlabs/customers/apps/storage"
	"github.com/fintechlabs/customers/core/profiler"
	rules "github.com/fintechlabs/customers/core/profiling"
)

// New assembles the profiling service from cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*runner.Service, error) {
	log = log.With("service", profiler.Source)

	table, err := ruleTable(cfg.RulesFile, log)
	if err != nil {
		return nil, err
	}
	store, err := storage.OpenProfiles(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	svc := profiler.New(profiler.Storage{Profiles: store.Profiles(), Inbox: store.Inbox(), Tx: store}, table, clock.UTC{}, uuidv7.Generator{}, log)

	return runner.New(ctx, runner.Parts{
		Name: profiler.Source, Config: cfg, Log: log, Clock: clock.UTC{},
		Store: store, Outbox: store.Outbox(),
		Emits: profiler.Emits, Consumes: profiler.Consumes, Handle: svc.Handle,
		Router: func(o rest.Options) http.Handler { return rest.ProfilingRouter(svc, o) },
	})
}

// ruleTable is the built-in table, or the one in file when it is named.
func ruleTable(file string, log *slog.Logger) (rules.Rules, error) {
	if file == "" {
		return rules.DefaultRules(), nil
	}
	f, err := os.Open(file)
	if err != nil {
		return rules.Rules{}, fmt.Errorf("open profiling rules: %w", err)
	}
	defer f.Close()
	table, err := rules.Load(f)
	if err != nil {
		return rules.Rules{}, fmt.Errorf("profiling rules %s: %w", file, err)
	}
	log.Info("profiling rules loaded", "file", file)
	return table, nil
}
