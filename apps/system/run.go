package system

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fintechlabs/customers/adapters/logging"
)

// Main runs one service until SIGINT or SIGTERM and returns the exit code.
func Main(kind Kind) int {
	env := Env(os.LookupEnv)
	cfg, err := Load(kind, env, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "❌", err)
		return 2
	}
	log := logging.New(os.Stderr, cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc, err := New(ctx, cfg, log)
	if err != nil {
		log.Error("❌ start failed", "error", err)
		return 1
	}
	svc.Start()
	code := 0
	select {
	case <-ctx.Done():
	case err := <-svc.Served():
		log.Error("❌ HTTP server failed", "error", err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := svc.Shutdown(shutdownCtx); err != nil {
		log.Error("❌ unclean shutdown", "error", err)
		return 1
	}
	return code
}

// MainStack runs the whole system in one process (make run) until SIGINT or
// SIGTERM and returns the exit code.
func MainStack(out io.Writer) int {
	env := Env(os.LookupEnv)
	opts, err := LogOptions(env)
	if err != nil {
		fmt.Fprintln(os.Stderr, "❌", err)
		return 2
	}
	log := logging.New(os.Stderr, opts)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := StartStack(ctx, env, log)
	if err != nil {
		log.Error("❌ start failed", "error", err)
		return 1
	}
	fmt.Fprint(out, st.Banner())
	code := 0
	select {
	case <-ctx.Done():
	case err := <-st.Failed():
		log.Error("❌ a service failed", "error", err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Shutdown(shutdownCtx); err != nil {
		log.Error("❌ unclean shutdown", "error", err)
		return 1
	}
	log.Info("👋 bye")
	return code
}
