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

// Wire assembles one service from its configuration: its composition root.
type Wire func(ctx context.Context, cfg config.Config, log *slog.Logger) (*Service, error)

// Main runs the service of kind that wire assembles, until SIGINT or
// SIGTERM, and returns the exit code; with -h or -version it prints the
// settings or the build and returns.
func Main(kind config.Kind, wire Wire) int {
	name := "customers-" + string(kind)
	about := fmt.Sprintf("runs the %s service alone, against the Kafka cluster in KAFKA_BROKERS", kind)
	if done, code := cli.Handle(name, about, os.Args[1:], os.Stdout, os.Stderr, kind); done {
		return code
	}
	cfg, err := config.Load(kind, os.LookupEnv, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "❌", err)
		return 2
	}
	log := logging.New(os.Stderr, cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc, err := wire(ctx, cfg, log)
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
