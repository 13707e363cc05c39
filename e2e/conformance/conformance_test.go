// Package conformance runs the official Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance,
// v1.7.0) against egts. It is compiled into a test binary by scripts/install-conformance.sh and run by
// `npm run conformance` (e2e/conformance/run.ts), which starts the stack and passes the flags below.
//
// Every flag of the suite (sigs.k8s.io/gateway-api/conformance/utils/flags) is accepted. Those the runner
// does not give take egts's values here: GatewayClass `envoy` (the Helm chart's), the five Gateway
// profiles, and the implementation's identity for the report. The supported features are never defaulted:
// the runner passes --supported-features from operator/src/translate/features.ts, the single source.
package conformance

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
)

// resultsOutput is our one flag: a JSON Lines file with one line per test (name, features, outcome), which
// the report format lacks (it counts extended tests but does not say which feature a failed one exercises).
var resultsOutput = flag.String("egts-results-output", "", "JSON Lines file: one {test, features, provisional, result} per test")

// testResult is one line of --egts-results-output.
type testResult struct {
	Test        string   `json:"test"`
	Description string   `json:"description"`
	Features    []string `json:"features"`
	Provisional bool     `json:"provisional"`
	// Result is passed, failed, skipped (explicitly or by the suite) or notSupported (a feature not claimed).
	Result string `json:"result"`
}

// resultRecorder returns the suite hook that appends each test's outcome to `path`.
func resultRecorder(t *testing.T, path string) func(*testing.T, suite.ConformanceTest, *suite.ConformanceTestSuite) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("--egts-results-output: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	var mu sync.Mutex
	enc := json.NewEncoder(f)
	return func(subT *testing.T, test suite.ConformanceTest, s *suite.ConformanceTestSuite) {
		r := testResult{Test: test.ShortName, Description: test.Description, Provisional: test.Provisional, Features: []string{}}
		for _, name := range test.Features {
			r.Features = append(r.Features, string(name))
		}
		switch {
		case subT.Failed():
			r.Result = "failed"
		case !s.SupportedFeatures.HasAll(test.Features...):
			r.Result = "notSupported"
		case subT.Skipped():
			r.Result = "skipped"
		default:
			r.Result = "passed"
		}
		mu.Lock()
		defer mu.Unlock()
		if err := enc.Encode(r); err != nil {
			subT.Errorf("--egts-results-output: %v", err)
		}
	}
}

// Our defaults for the flags the runner leaves out.
const (
	// gatewayClass is the GatewayClass the Helm chart creates (helm/egts/values.yaml gatewayClass.name).
	gatewayClass = "envoy"
	// profiles are the Gateway conformance profiles egts claims.
	profiles = "GATEWAY-HTTP,GATEWAY-GRPC,GATEWAY-TLS,GATEWAY-TCP,GATEWAY-UDP"
	// organization, project, url and contact identify the implementation in the report.
	organization = "egts"
	project      = "egts"
	url          = "https://github.com/egts/egts"
	contact      = "@egts/maintainers"
)

// flagSet reports whether the command line gave flag `name`.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// TestConformance runs the suite with the options of the command line and our defaults.
func TestConformance(t *testing.T) {
	if !flagSet("supported-features") && !flagSet("all-features") {
		t.Fatal("--supported-features is required (npm run conformance passes operator/src/translate/features.ts)")
	}
	opts := conformance.DefaultOptions(t)
	if !flagSet("gateway-class") {
		opts.GatewayClassName = gatewayClass
	}
	if !flagSet("conformance-profiles") {
		opts.ConformanceProfiles = suite.ParseConformanceProfilesSlice(profiles)
	}
	impl := &opts.Implementation
	if impl.Organization == "" {
		impl.Organization = organization
	}
	if impl.Project == "" {
		impl.Project = project
	}
	if impl.URL == "" {
		impl.URL = url
	}
	if len(impl.Contact) == 0 {
		impl.Contact = strings.Split(contact, ",")
	}
	if *resultsOutput != "" {
		opts.Hook = resultRecorder(t, *resultsOutput)
	}
	conformance.RunConformanceWithOptions(t, opts)
}
