package docs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	app "github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
)

// object is the part of a Kubernetes object these checks read.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Replicas     int           `yaml:"replicas"`
		MinAvailable int           `yaml:"minAvailable"`
		Selector     labelSelector `yaml:"selector"`
		// Service
		Ports []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				SecurityContext               struct {
					RunAsNonRoot bool `yaml:"runAsNonRoot"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type container struct {
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Ports   []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		ConfigMapRef struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env            []envVar `yaml:"env"`
	ReadinessProbe probe    `yaml:"readinessProbe"`
	LivenessProbe  probe    `yaml:"livenessProbe"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
	} `yaml:"valueFrom"`
}

// labelSelector is a label selector: a Deployment's or a budget's matchLabels,
// or a Service's plain map.
type labelSelector map[string]string

func (s *labelSelector) UnmarshalYAML(n *yaml.Node) error {
	var m struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	if err := n.Decode(&m); err == nil && m.MatchLabels != nil {
		*s = m.MatchLabels
		return nil
	}
	var plain map[string]string
	if err := n.Decode(&plain); err != nil {
		return err
	}
	*s = plain
	return nil
}

// picks reports whether the selector picks pods labelled labels.
func (s labelSelector) picks(labels map[string]string) bool {
	for k, v := range s {
		if labels[k] != v {
			return false
		}
	}
	return len(s) > 0
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// manifests reads every object in the kustomization's resources, and
// checks the folder holds no manifest it leaves out.
func manifests(t *testing.T) []object {
	t.Helper()
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "deploy/k8s/kustomization.yaml")), &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../deploy/k8s/*.yaml")
	var objects []object
	for _, f := range files {
		name := filepath.Base(f)
		if name == "kustomization.yaml" {
			continue
		}
		if !slices.Contains(k.Resources, name) {
			t.Errorf("kustomization.yaml leaves out %s", name)
		}
		dec := yaml.NewDecoder(bytes.NewReader([]byte(read(t, "deploy/k8s/"+name))))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			objects = append(objects, o)
		}
	}
	return objects
}

func find(objects []object, kind, name string) (object, bool) {
	for _, o := range objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o, true
		}
	}
	return object{}, false
}

func TestTheKubernetesManifestsRunEveryServiceAsTheCodeExpects(t *testing.T) {
	objects := manifests(t)
	known := variables(t)
	for _, kind := range app.Kinds {
		name := string(kind)
		t.Run(name, func(t *testing.T) {
			d, ok := find(objects, "Deployment", name)
			if !ok {
				t.Fatalf("no Deployment %s", name)
			}
			if d.Spec.Replicas < 2 {
				t.Errorf("%d replicas", d.Spec.Replicas)
			}
			pod := d.Spec.Template.Spec
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers", len(pod.Containers))
			}
			c := pod.Containers[0]
			if len(c.Command) != 1 || c.Command[0] != "customers-"+name {
				t.Errorf("command %v", c.Command)
			} else if _, err := os.Stat("../../cmd/" + c.Command[0] + "/main.go"); err != nil {
				t.Errorf("command %v runs no binary of cmd/", c.Command)
			}
			if !pod.SecurityContext.RunAsNonRoot {
				t.Error("the pod must run as a non-root user")
			}

			// The environment as the pod would get it, secrets standing in.
			env := map[string]string{}
			for _, from := range c.EnvFrom {
				cm, ok := find(objects, "ConfigMap", from.ConfigMapRef.Name)
				if !ok {
					t.Fatalf("no ConfigMap %s", from.ConfigMapRef.Name)
				}
				for k, v := range cm.Data {
					env[k] = v
				}
			}
			secrets := map[string]string{"API_KEYS": "ops:s3cret", "DATABASE_URL": "postgres://u:p@db:5432/" + name, "SMTP_PASSWORD": "p"}
			for _, e := range c.Env {
				switch {
				case e.ValueFrom.SecretKeyRef != nil:
					env[e.Name] = secrets[e.Name]
					if e.ValueFrom.SecretKeyRef.Name != "customers" {
						t.Errorf("%s from the Secret %q: docs/operations.md tells to create \"customers\"", e.Name, e.ValueFrom.SecretKeyRef.Name)
					}
				case e.ValueFrom.FieldRef != nil:
					env[e.Name] = name + "-pod"
				default:
					env[e.Name] = e.Value
				}
			}
			for k := range env {
				if !known[k] {
					t.Errorf("environment variable %s is not one the service reads", k)
				}
			}
			for _, secret := range []string{"API_KEYS", "DATABASE_URL", "SMTP_PASSWORD"} {
				if _, set := env[secret]; set && !slices.ContainsFunc(c.Env, func(e envVar) bool {
					return e.Name == secret && e.ValueFrom.SecretKeyRef != nil
				}) {
					t.Errorf("%s must come from a Secret", secret)
				}
			}
			if env["DATABASE_URL"] == "" || env["API_KEYS"] == "" {
				t.Error("replicas need DATABASE_URL (PostgreSQL) and, listening beyond loopback, API_KEYS")
			}
			cfg, err := app.Load(kind, app.MapEnv(env), false, stack.Wiring[kind].Settings)
			if err != nil {
				t.Fatalf("the service would not start with this environment: %v", err)
			}

			_, port, _ := strings.Cut(cfg.Addr, ":")
			var httpPort int
			for _, p := range c.Ports {
				if p.Name == "http" {
					httpPort = p.ContainerPort
				}
			}
			if strconv.Itoa(httpPort) != port || cfg.Addr != "0.0.0.0:"+port {
				t.Errorf("container port %d, HTTP_ADDR %q", httpPort, cfg.Addr)
			}
			for _, p := range []struct {
				probe probe
				path  string
			}{{c.ReadinessProbe, "/readyz"}, {c.LivenessProbe, "/healthz"}} {
				if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != "http" {
					t.Errorf("probe %+v, want %s on the http port", p.probe.HTTPGet, p.path)
				}
			}
			grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second
			if grace <= cfg.ShutdownTimeout || cfg.ShutdownTimeout <= cfg.Kafka.HandlerTimeout {
				t.Errorf("grace %s, shutdown %s, handler %s: want handler < shutdown < grace", grace, cfg.ShutdownTimeout, cfg.Kafka.HandlerTimeout)
			}

			labels := d.Spec.Template.Metadata.Labels
			if !d.Spec.Selector.picks(labels) {
				t.Errorf("the Deployment's labelSelector %v does not pick its pods %v", d.Spec.Selector, labels)
			}
			pdb, ok := find(objects, "PodDisruptionBudget", name)
			if !ok || !pdb.Spec.Selector.picks(labels) || pdb.Spec.MinAvailable < 1 || pdb.Spec.MinAvailable >= d.Spec.Replicas {
				t.Errorf("PodDisruptionBudget %+v: want one that keeps at least one of the %d pods and lets one go", pdb.Spec, d.Spec.Replicas)
			}
			svc, ok := find(objects, "Service", name)
			if !ok || !svc.Spec.Selector.picks(labels) || len(svc.Spec.Ports) == 0 ||
				strconv.Itoa(svc.Spec.Ports[0].Port) != port || svc.Spec.Ports[0].TargetPort != "http" {
				t.Errorf("Service %+v: want port %s to the pods' http port", svc.Spec.Ports, port)
			}
		})
	}
}
