// Package profiling wires the profiling service: its tracer, its database,
// its rule table and use cases, and its HTTP API, handed to the runner
// with the topics it publishes and consumes.
package profiling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/rest/profilingapi"
	"github.com/fintechlabs/customers/adapters/sqlstore/profilesql"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/runner"
	"github.com/fintechlabs/customers/apps/storage"
	rules "github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/profiling/app"
)

// Assembly is the profiling service, as the binaries run it.
var Assembly = runner.Assembly{Kind: config.Profiling, Settings: func(r *config.Reader) { read(r) }, Wire: New}

// settings are the profiling service's own.
type settings struct {
	// rulesFile, when set, replaces the built-in rule table.
	rulesFile string
}

func read(r *config.Reader) settings {
	return settings{rulesFile: r.String("RULES_FILE", "")}
}

// New builds the profiling service from cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*runner.Service, error) {
	log = log.With("service", app.Source)
	r := cfg.Reader()
	own := read(r)
	if err := r.Err("profiling"); err != nil {
		return nil, err
	}
	table, err := ruleTable(own.rulesFile, log)
	if err != nil {
		return nil, err
	}
	tracer, err := tracing.New(ctx, app.Source, cfg.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	engine, err := storage.Engine(ctx, cfg, profilesql.Schema)
	if err != nil {
		return nil, errors.Join(err, tracer.Shutdown(ctx))
	}
	store, err := profilesql.Open(ctx, engine, clock.UTC{}, tracer.Storage(), log)
	if err != nil {
		return nil, errors.Join(err, tracer.Shutdown(ctx))
	}
	svc := app.New(app.Storage{Profiles: store, Inbox: store.Inbox(), Tx: store, Forget: store}, table, clock.UTC{}, uuidv7.Generator{}, log)

	return runner.New(ctx, runner.Parts{
		Name: app.Source, Config: cfg, Log: log, Clock: clock.UTC{}, Tracer: tracer,
		Store: store, Outbox: store.Outbox(),
		Emits: app.Emits, Consumes: app.Consumes, Handle: svc.Handle,
		Router: func(o rest.Options) http.Handler { return profilingapi.New(svc, o) },
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
