// Package cli gives every service binary the same command line: -h prints
// what it is and every setting it reads, with its default; -version prints
// the version it was built from.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/fintechlabs/customers/apps/config"
)

// Service is a service whose settings -h lists: its kind, and the reader
// of its own settings.
type Service struct {
	Kind     config.Kind
	Settings func(*config.Reader)
}

// Handle reads args (without the program name). It reports done, with the
// exit code, when the binary must stop there: it printed the help (the
// settings of services) or the version, or the arguments were wrong.
func Handle(name, about string, args []string, stdout, stderr io.Writer, services ...Service) (done bool, code int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.Bool("version", false, "print the version and build information, and exit")
	fs.Usage = func() { usage(fs.Output(), name, about, services) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, name, about, services)
			return true, 0
		}
		return true, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s takes no arguments (got %q); its settings come from the environment: %s -h lists them\n", name, fs.Args(), name)
		return true, 2
	}
	if *version {
		fmt.Fprintln(stdout, Version(name))
		return true, 0
	}
	return false, 0
}

// Version describes the build: the module version, the commit and whether
// the tree was modified, and the Go version.
func Version(name string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return name + " (no build information)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	v := name + " " + info.Main.Version
	if rev := settings["vcs.revision"]; rev != "" {
		v += " commit " + rev
		if settings["vcs.modified"] == "true" {
			v += " (modified)"
		}
		if at := settings["vcs.time"]; at != "" {
			v += " of " + at
		}
	}
	return v + ", " + info.GoVersion + " " + settings["GOOS"] + "/" + settings["GOARCH"]
}

func usage(w io.Writer, name, about string, services []Service) {
	fmt.Fprintf(w, "%s: %s\n\nUsage: %s [-h] [-version]\n\n", name, about, name)
	fmt.Fprintf(w, "Settings come from the environment (the README's Configuration section says what each does).\n")
	for _, svc := range services {
		kind := svc.Kind
		prefix := strings.ToUpper(string(kind)) + "_"
		fmt.Fprintf(w, "\n%s service (prefix a variable with %s to set it for this service alone):\n", kind, prefix)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, s := range config.Settings(kind, svc.Settings) {
			def := s.Default
			if def == "" {
				def = "(none)"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", s.Name, def)
		}
		_ = tw.Flush()
	}
}
