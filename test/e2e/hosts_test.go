package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
	"github.com/fintechlabs/customers/test/stacktest"
)

func TestWithoutKeysOnlyLoopbackHostNamesAreAnswered(t *testing.T) {
	for _, base := range []string{customers() + "/customers/health", profiling() + "/profiling/health", notifications() + "/notifications/health", sys.ConsoleURL() + "/key"} {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := strings.Cut(u.Host, ":")
		for host, want := range map[string]int{
			"localhost:" + port:       http.StatusOK,
			"127.0.0.1:" + port:       http.StatusOK,
			"rebound.example:" + port: http.StatusMisdirectedRequest, // a web page whose name now points here
		} {
			req, err := http.NewRequest(http.MethodGet, base, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = host
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("GET %s with Host %s: %d, want %d", base, host, res.StatusCode, want)
			}
		}
	}
}

func TestAConsoleBeyondLoopbackNeedsKeys(t *testing.T) {
	env, _ := stacktest.Env("openconsole", t.TempDir())
	env["CONSOLE_ADDR"] = "0.0.0.0:0"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, config.MapEnv(env), slog.New(slog.DiscardHandler))
	if err == nil {
		_ = st.Shutdown(ctx)
		t.Fatal("a console on every interface started in front of services without keys")
	}
	if !strings.Contains(err.Error(), "API_KEYS") {
		t.Fatalf("the refusal does not say what to set: %v", err)
	}
}
