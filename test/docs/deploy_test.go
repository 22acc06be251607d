package docs

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	app "github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/notifications"
	"github.com/fintechlabs/customers/apps/stack"
)

// compose is the part of a compose file these checks read.
type compose struct {
	Name     string             `yaml:"name"`
	Include  []string           `yaml:"include"`
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Profiles  []string `yaml:"profiles"`
	StopGrace string   `yaml:"stop_grace_period"`
	Image     string   `yaml:"image"`
	Build     any      `yaml:"build"`
	Command   []string `yaml:"command"`
	Ports     []string `yaml:"ports"`
	Deploy    struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

var variable = regexp.MustCompile(`\$\{(\w+)(?::([-?])([^}]*))?\}`)

// interpolate expands ${VAR}, ${VAR:-default} and ${VAR:?message} in env
// as docker compose does with the variables in vars, and returns the
// variables that ${VAR:?message} demands and vars lacks.
func interpolate(env, vars map[string]string) (map[string]string, []string) {
	var missing []string
	out := map[string]string{}
	for k, v := range env {
		out[k] = variable.ReplaceAllStringFunc(v, func(ref string) string {
			m := variable.FindStringSubmatch(ref)
			if val := vars[m[1]]; val != "" {
				return val
			}
			switch m[2] {
			case "-":
				return m[3]
			case "?":
				missing = append(missing, m[1])
			}
			return ""
		})
	}
	return out, missing
}

// load parses a compose file and the files it includes.
func load(t *testing.T, name string) compose {
	t.Helper()
	raw, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, inc := range c.Include {
		sub := load(t, inc)
		for k, v := range sub.Services {
			if _, dup := c.Services[k]; dup {
				t.Fatalf("%s and %s both define %s", name, inc, k)
			}
			c.Services[k] = v
		}
		for k, v := range sub.Volumes {
			c.Volumes[k] = v
		}
	}
	return c
}

func kafkaVersion(t *testing.T) string {
	t.Helper()
	pom, err := os.ReadFile("../kafka/pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<kafka.version>([^<]+)</kafka.version>`).FindSubmatch(pom)
	if m == nil {
		t.Fatal("test/kafka/pom.xml names no kafka.version")
	}
	return string(m[1])
}

// internalListener returns the address containers use to reach Kafka.
func internalListener(t *testing.T, kafka service) string {
	t.Helper()
	inter := kafka.Environment["KAFKA_INTER_BROKER_LISTENER_NAME"]
	for _, l := range strings.Split(kafka.Environment["KAFKA_ADVERTISED_LISTENERS"], ",") {
		if name, addr, ok := strings.Cut(l, "://"); ok && name == inter {
			return addr
		}
	}
	t.Fatalf("no advertised listener named %q", inter)
	return ""
}

func TestTheKafkaComposeFileRunsASingleKRaftNode(t *testing.T) {
	c := load(t, "docker-compose.kafka.yml")
	k, ok := c.Services["kafka"]
	if !ok {
		t.Fatal("no kafka service")
	}
	env := k.Environment
	if k.Image != "apache/kafka:"+kafkaVersion(t) {
		t.Errorf("image %s: the compose file should run the Kafka version CI tests against (%s)", k.Image, kafkaVersion(t))
	}
	roles := strings.Split(env["KAFKA_PROCESS_ROLES"], ",")
	if !slices.Contains(roles, "broker") || !slices.Contains(roles, "controller") || env["KAFKA_NODE_ID"] == "" {
		t.Errorf("not a combined KRaft node: roles %v, node id %q", roles, env["KAFKA_NODE_ID"])
	}
	voter := env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
	_, controllerPort, _ := strings.Cut(voter, "@kafka:")
	if !strings.HasPrefix(voter, env["KAFKA_NODE_ID"]+"@kafka:") ||
		!strings.Contains(env["KAFKA_LISTENERS"], env["KAFKA_CONTROLLER_LISTENER_NAMES"]+"://:"+controllerPort) {
		t.Errorf("the controller quorum %q does not match the controller listener in %q", voter, env["KAFKA_LISTENERS"])
	}
	for _, key := range []string{
		"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
		"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
		"KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
	} {
		if env[key] != "1" {
			t.Errorf("%s = %q: a single node needs 1", key, env[key])
		}
	}
	if env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] != "false" {
		t.Error("topics are created by the services, with their partition count: turn auto-creation off")
	}
	if !strings.Contains(env["KAFKA_ADVERTISED_LISTENERS"], "://localhost:9092") || !slices.Contains(k.Ports, "127.0.0.1:9092:9092") {
		t.Errorf("host clients need localhost:9092: ports %v, advertised %q", k.Ports, env["KAFKA_ADVERTISED_LISTENERS"])
	}
	if !strings.Contains(strings.Join(k.Healthcheck.Test, " "), "kafka-broker-api-versions") {
		t.Errorf("kafka healthcheck %v", k.Healthcheck.Test)
	}
	if !slices.ContainsFunc(k.Volumes, func(v string) bool { return strings.HasSuffix(v, ":"+env["KAFKA_LOG_DIRS"]) }) {
		t.Errorf("kafka data in %q is not on a volume: %v", env["KAFKA_LOG_DIRS"], k.Volumes)
	}

	ui, ok := c.Services["kafka-ui"]
	if !ok || !slices.Contains(ui.Ports, "127.0.0.1:8080:8080") || ui.Environment["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"] != internalListener(t, k) {
		t.Errorf("kafka-ui: %+v", ui)
	}
	if ui.DependsOn["kafka"].Condition != "service_healthy" {
		t.Error("kafka-ui should wait for a healthy kafka")
	}
}

func TestTheComposeFileRunsEveryServiceAsTheCodeExpects(t *testing.T) {
	c := load(t, "docker-compose.yml")
	known := variables(t)
	kafkaAddr := internalListener(t, c.Services["kafka"])
	handlers := routers(t)
	gateway := c.Services["gateway"]
	nginx, initSQL := read(t, "deploy/compose/nginx.conf"), read(t, "deploy/compose/postgres-init.sql")
	if pg := c.Services["postgres"]; len(pg.Healthcheck.Test) == 0 || !slices.ContainsFunc(pg.Volumes, func(v string) bool {
		return strings.HasSuffix(v, "postgres-init.sql:/docker-entrypoint-initdb.d/init.sql:ro")
	}) {
		t.Errorf("postgres: %+v: want a healthcheck and the init script", pg)
	}
	for _, tt := range []struct {
		kind    app.Kind
		name    string
		heading string
	}{
		{app.Customer, "service-customer", "## customer, port 3001"},
		{app.Profiling, "service-profiling", "## profiling, port 3002"},
		{app.Notifications, "service-notifications", "## notifications, port 3003"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := c.Services[tt.name]
			if !ok {
				t.Fatalf("no %s service", tt.name)
			}
			defaults, err := app.Load(tt.kind, app.MapEnv(nil), false)
			if err != nil {
				t.Fatal(err)
			}
			_, port, _ := strings.Cut(defaults.Addr, ":")
			for k := range s.Environment {
				if !known[k] {
					t.Errorf("environment variable %s is not one the service reads", k)
				}
			}
			// As docker compose would run it: without API_KEYS it refuses.
			if _, missing := interpolate(s.Environment, nil); !slices.Contains(missing, "API_KEYS") {
				t.Errorf("docker compose would start %s without API_KEYS on every interface", tt.name)
			}
			env, missing := interpolate(s.Environment, map[string]string{"API_KEYS": "k1,k2", "POSTGRES_PASSWORD": "secret"})
			if len(missing) > 0 {
				t.Fatalf("with API_KEYS and POSTGRES_PASSWORD set, compose still needs %v", missing)
			}
			if _, err := app.Load(tt.kind, app.MapEnv(env), false, stack.Wiring[tt.kind].Settings); err != nil {
				t.Errorf("the service would not start with this environment: %v", err)
			}
			// Replicas publish no port of their own: the gateway does.
			if env["HTTP_ADDR"] != "0.0.0.0:"+port || len(s.Ports) > 0 || !slices.Contains(gateway.Ports, "127.0.0.1:"+port+":"+port) ||
				!strings.Contains(nginx, "listen "+port+";") || !strings.Contains(nginx, "http://"+tt.name+":"+port+";") {
				t.Errorf("HTTP_ADDR %q, ports %v, gateway ports %v: want the replicas on 0.0.0.0:%s, and the gateway listening there, "+
					"published on the host's loopback only, passing to %s:%s", env["HTTP_ADDR"], s.Ports, gateway.Ports, port, tt.name, port)
			}
			if s.Deploy.Replicas < 2 {
				t.Errorf("%d replicas: the compose file shows the service replicated", s.Deploy.Replicas)
			}
			db, err := url.Parse(env["DATABASE_URL"])
			if err != nil || db.Scheme != "postgres" || db.Host != "postgres:5432" || !strings.Contains(initSQL, "CREATE DATABASE "+db.Path[1:]+";") {
				t.Errorf("DATABASE_URL %q: want the compose file's PostgreSQL, in a database its init script creates", env["DATABASE_URL"])
			}
			if s.DependsOn["postgres"].Condition != "service_healthy" {
				t.Error("the service should wait for a healthy postgres")
			}
			if tt.kind == app.Notifications {
				host, _, _ := strings.Cut(env["SMTP_ADDR"], ":")
				if env["EMAIL_PROVIDER"] != notifications.EmailSMTP || c.Services[host].Image == "" {
					t.Errorf("EMAIL_PROVIDER %q, SMTP_ADDR %q: want email through the compose file's mail catcher", env["EMAIL_PROVIDER"], env["SMTP_ADDR"])
				}
			}
			if env["KAFKA_BROKERS"] != kafkaAddr {
				t.Errorf("KAFKA_BROKERS %q: containers reach Kafka on %s", env["KAFKA_BROKERS"], kafkaAddr)
			}
			if env["KAFKA_GROUP_ID"] != defaults.Kafka.GroupID || env["KAFKA_CLIENT_ID"] != defaults.Kafka.ClientID {
				t.Errorf("client %q, group %q: the code's defaults are %q, %q",
					env["KAFKA_CLIENT_ID"], env["KAFKA_GROUP_ID"], defaults.Kafka.ClientID, defaults.Kafka.GroupID)
			}
			if len(s.Command) != 1 {
				t.Fatalf("command %v", s.Command)
			}
			if _, err := os.Stat("../../cmd/" + s.Command[0] + "/main.go"); err != nil {
				t.Errorf("command %v runs no binary of cmd/", s.Command)
			}
			if !slices.ContainsFunc(s.Volumes, func(v string) bool {
				name, path, _ := strings.Cut(v, ":")
				_, declared := c.Volumes[name]
				return declared && path == env["DATA_DIR"]
			}) {
				t.Errorf("DATA_DIR %q (the development provider's mailbox) is not on a declared volume: %v", env["DATA_DIR"], s.Volumes)
			}
			grace, err := time.ParseDuration(s.StopGrace)
			cfg, _ := app.Load(tt.kind, app.MapEnv(env), false, stack.Wiring[tt.kind].Settings)
			if err != nil || grace <= cfg.ShutdownTimeout || cfg.ShutdownTimeout <= cfg.Kafka.HandlerTimeout {
				t.Errorf("stop_grace_period %q, shutdown %s, handler %s: want handler < shutdown < grace",
					s.StopGrace, cfg.ShutdownTimeout, cfg.Kafka.HandlerTimeout)
			}
			if s.DependsOn["kafka"].Condition != "service_healthy" {
				t.Error("the service should wait for a healthy kafka")
			}
			hc := s.Healthcheck.Test
			if len(hc) != 3 || hc[0] != "CMD" || hc[1] != "customers-healthcheck" {
				t.Fatalf("healthcheck %v", hc)
			}
			prefix := "http://127.0.0.1:" + port
			if !strings.HasPrefix(hc[2], prefix) || serve(handlers[tt.heading], "GET", strings.TrimPrefix(hc[2], prefix)).Code != 200 {
				t.Errorf("healthcheck %s is not a health endpoint of the service on its port", hc[2])
			}
			if s.Image == "" || s.Build == nil {
				t.Errorf("image %q, build %v", s.Image, s.Build)
			}
		})
	}
	for _, want := range []string{"kafka", "kafka-ui", "postgres", "mailpit", "gateway"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("docker-compose.yml lacks %s", want)
		}
	}
}

func TestTheDockerfileBuildsEveryBinaryAndRunsUnprivileged(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)(?: AS (\S+))?`).FindAllStringSubmatch(df, -1)
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, got %d stages", len(froms))
	}
	build, runtime := froms[0], froms[len(froms)-1]
	if !strings.HasPrefix(build[1], "golang:") || strings.HasPrefix(runtime[1], "golang:") {
		t.Errorf("build on %s, run on %s: the runtime image should be small", build[1], runtime[1])
	}
	runtimeStage := df[strings.LastIndex(df, "\nFROM "):]
	if !strings.Contains(df, "CGO_ENABLED=1") {
		t.Error("SQLite needs cgo: CGO_ENABLED=1")
	}
	entries, err := os.ReadDir("../../cmd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := os.Stat("../../cmd/" + e.Name() + "/main.go"); err == nil && !strings.Contains(df, "./cmd/"+e.Name()) {
			t.Errorf("the image does not build cmd/%s", e.Name())
		}
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(runtimeStage)
	if user == nil || strings.HasPrefix(user[1], "root") || strings.HasPrefix(user[1], "0") {
		t.Errorf("the runtime stage must run as a non-root user, got %v", user)
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \["customers-healthcheck"\]`).MatchString(runtimeStage) {
		t.Error("the runtime stage needs a HEALTHCHECK running the healthcheck binary")
	}
	for _, port := range []int{3001, 3002, 3003} {
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^EXPOSE .*\b%d\b`, port)).MatchString(runtimeStage) {
			t.Errorf("EXPOSE lacks %d", port)
		}
	}
}

func TestTheImageLeavesDataAndHistoryOut(t *testing.T) {
	raw, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	ignored := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ignored[line] = true
		}
	}
	for _, want := range []string{"data/", ".git/", ".cache/", "**/*.db"} {
		if !ignored[want] {
			t.Errorf(".dockerignore lets %s into the image", want)
		}
	}
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if cmd := regexp.MustCompile(`(?m)^CMD (.*)$`).FindStringSubmatch(string(df)); cmd == nil || strings.Contains(cmd[1], "stack") {
		t.Errorf("the image's default command is %v: not the development stack with its embedded broker", cmd)
	}
}

// read returns a file of the repository.
func read(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
