package runner

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/apps/cli"
	"github.com/fintechlabs/customers/apps/config"
)

// Assembly is one service as the binaries know it.
type Assembly struct {
	Kind config.Kind
	// Settings reads the settings that are the service's alone (its
	// wiring reads them again from Config.Reader): listed by -h, and
	// checked with the others before anything starts.
	Settings func(*config.Reader)
	// Wire builds the service from its configuration, in order: its
	// tracer, its store, its use cases, its router, then New.
	Wire func(ctx context.Context, cfg config.Config, log *slog.Logger) (*Service, error)
}

// Main runs the service a assembles until SIGINT or SIGTERM, and returns
// the exit code; with -h or -version it prints the settings or the build
// and returns.
func Main(a Assembly) int {
	kind := a.Kind
	name := "customers-" + string(kind)
	about := fmt.Sprintf("runs the %s service alone, against the Kafka cluster in KAFKA_BROKERS", kind)
	if done, code := cli.Handle(name, about, os.Args[1:], os.Stdout, os.Stderr, cli.Service{Kind: kind, Settings: a.Settings}); done {
		return code
	}
	cfg, err := config.Load(kind, os.LookupEnv, false, a.Settings)
	if err != nil {
		fmt.Fprintln(os.Stderr, "❌", err)
		return 2
	}
	log := logging.New(os.Stderr, cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc, err := a.Wire(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", "error", err)
		return 1
	}
	svc.Start()
	code := 0
	select {
	case <-ctx.Done():
	case err := <-svc.Served():
		log.Error("HTTP server failed", "error", err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := svc.Shutdown(shutdownCtx); err != nil {
		log.Error("unclean shutdown", "error", err)
		return 1
	}
	return code
}
