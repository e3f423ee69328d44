package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("folio", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := load(t, nil)
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	want := Config{
		Addr:            "localhost:8080",
		DB:              "data/folio.db",
		LogLevel:        "info",
		BodyLimit:       1 << 20,
		ShutdownTimeout: 15 * time.Second,
		AccessTokenTTL:  15 * time.Minute,
		CacheMaxAge:     time.Minute,
		CacheStale:      5 * time.Minute,
		CacheSize:       16 << 20,
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadEnvironmentAndFlags(t *testing.T) {
	env := map[string]string{
		"FOLIO_ADDR":             ":9000",
		"FOLIO_DB":               "/var/lib/folio/folio.db",
		"FOLIO_JWT_SECRET":       strings.Repeat("k", 32),
		"FOLIO_ADMIN_EMAIL":      " admin@example.com ",
		"FOLIO_ADMIN_PASSWORD":   "correct horse battery",
		"FOLIO_CORS_ORIGINS":     "https://www.example.com, http://localhost:5173",
		"FOLIO_LOG_LEVEL":        "DEBUG",
		"FOLIO_LOG_FORMAT":       "json",
		"FOLIO_BODY_LIMIT":       "512KiB",
		"FOLIO_METRICS_TOKEN":    "0123456789abcdef",
		"FOLIO_METRICS_ADDR":     "127.0.0.1:9090",
		"FOLIO_TRUSTED_PROXIES":  "10.0.0.0/8, 192.168.1.7",
		"FOLIO_SHUTDOWN_TIMEOUT": "40s",
	}
	cfg, err := load(t, env, "--addr", "127.0.0.1:8181", "--log-level=warn", "backup.db")
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if cfg.Addr != "127.0.0.1:8181" {
		t.Errorf("Addr = %q, want the flag to win over the environment", cfg.Addr)
	}
	if cfg.LogLevel != "warn" {
		t.Errorf("LogLevel = %q, want warn", cfg.LogLevel)
	}
	if cfg.AdminEmail != "admin@example.com" {
		t.Errorf("AdminEmail = %q, want it trimmed", cfg.AdminEmail)
	}
	if cfg.BodyLimit != 512<<10 {
		t.Errorf("BodyLimit = %d, want %d", cfg.BodyLimit, 512<<10)
	}
	if diff := cmp.Diff([]string{"https://www.example.com", "http://localhost:5173"}, cfg.CORSOrigins); diff != "" {
		t.Errorf("CORSOrigins mismatch (-want +got):\n%s", diff)
	}
	if len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1].String() != "192.168.1.7/32" {
		t.Errorf("TrustedProxies = %v, want 10.0.0.0/8 and 192.168.1.7/32", cfg.TrustedProxies)
	}
	if cfg.ShutdownTimeout != 40*time.Second {
		t.Errorf("ShutdownTimeout = %v, want 40s", cfg.ShutdownTimeout)
	}
	if diff := cmp.Diff([]string{"backup.db"}, cfg.Args); diff != "" {
		t.Errorf("Args mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadFlagsAmongArguments(t *testing.T) {
	tests := []struct {
		args     []string
		wantDB   string
		wantArgs []string
	}{
		{[]string{"up", "--db", "x.db"}, "x.db", []string{"up"}},
		{[]string{"--db", "x.db", "up"}, "x.db", []string{"up"}},
		{[]string{"a", "--db=x.db", "b"}, "x.db", []string{"a", "b"}},
		{[]string{"a", "--", "--db", "b"}, "data/folio.db", []string{"a", "--db", "b"}},
	}
	for _, tt := range tests {
		cfg, err := load(t, nil, tt.args...)
		if err != nil {
			t.Errorf("Load(%q) error = %v", tt.args, err)
			continue
		}
		if cfg.DB != tt.wantDB || !cmp.Equal(cfg.Args, tt.wantArgs) {
			t.Errorf("Load(%q) = db %q args %q, want %q %q", tt.args, cfg.DB, cfg.Args, tt.wantDB, tt.wantArgs)
		}
	}
}

func TestOriginsAreNormalized(t *testing.T) {
	cfg, err := load(t, map[string]string{"FOLIO_CORS_ORIGINS": "https://WWW.Example.com/, http://localhost:80, https://a.example:8443, *"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://www.example.com", "http://localhost", "https://a.example:8443", "*"}
	if diff := cmp.Diff(want, cfg.CORSOrigins); diff != "" {
		t.Errorf("CORSOrigins mismatch (-want +got):\n%s", diff)
	}
}

// TestHelpHidesTheEnvironment: flag defaults are printed by -h and by usage errors, and the
// environment holds secrets.
func TestHelpHidesTheEnvironment(t *testing.T) {
	var out strings.Builder
	fs := flag.NewFlagSet("folio", flag.ContinueOnError)
	fs.SetOutput(&out)
	secret := strings.Repeat("s3cr3t", 8)
	_, err := Load(fs, []string{"-h"}, func(k string) string {
		return map[string]string{"FOLIO_JWT_SECRET": secret, "FOLIO_ADMIN_PASSWORD": "admin-pass-123", "FOLIO_METRICS_TOKEN": "metrics-token-123456"}[k]
	})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(-h) = %v, want flag.ErrHelp", err)
	}
	for _, leak := range []string{secret, "admin-pass-123", "metrics-token-123456"} {
		if strings.Contains(out.String(), leak) {
			t.Errorf("help output contains %q:\n%s", leak, out.String())
		}
	}
	if !strings.Contains(out.String(), "FOLIO_JWT_SECRET") {
		t.Errorf("help output does not name the variables:\n%s", out.String())
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"short jwt secret", map[string]string{"FOLIO_JWT_SECRET": "short"}, nil,
			"FOLIO_JWT_SECRET must be at least 32 bytes (it has 5)"},
		{"short jwt secret by flag", nil, []string{"--jwt-secret", "abc"},
			"--jwt-secret must be at least 32 bytes (it has 3)"},
		{"short previous secret", map[string]string{"FOLIO_JWT_PREVIOUS_SECRETS": strings.Repeat("k", 32) + ",short"}, nil,
			"FOLIO_JWT_PREVIOUS_SECRETS entry 2 must be at least 32 bytes (it has 5)"},
		{"access token ttl too long", map[string]string{"FOLIO_ACCESS_TOKEN_TTL": "48h"}, nil,
			`FOLIO_ACCESS_TOKEN_TTL "48h" must be between 1m and 24h0m0s`},
		{"access token ttl not a duration", map[string]string{"FOLIO_ACCESS_TOKEN_TTL": "15"}, nil,
			`FOLIO_ACCESS_TOKEN_TTL "15" is not a duration`},
		{"negative cache age", map[string]string{"FOLIO_CACHE_MAX_AGE": "-1s"}, nil,
			`FOLIO_CACHE_MAX_AGE "-1s" must be between 0s and 24h`},
		{"cache size not a size", map[string]string{"FOLIO_CACHE_SIZE": "lots"}, nil,
			`FOLIO_CACHE_SIZE "lots" is not a size`},
		{"cache size too large", nil, []string{"--cache-size", "1000GiB"},
			`--cache-size "1000GiB" must be at most 64GiB`},
		{"unknown log level", map[string]string{"FOLIO_LOG_LEVEL": "verbose"}, nil,
			`FOLIO_LOG_LEVEL "verbose" is not a log level; use debug, info, warn or error`},
		{"unknown log format", map[string]string{"FOLIO_LOG_FORMAT": "xml"}, nil,
			`FOLIO_LOG_FORMAT "xml" is not a log format; use text or json`},
		{"address without port", map[string]string{"FOLIO_ADDR": "localhost"}, nil,
			`FOLIO_ADDR "localhost" is not a listen address`},
		{"address with bad port", nil, []string{"--addr", "localhost:http"},
			`--addr "localhost:http" is not a listen address`},
		{"port out of range", map[string]string{"FOLIO_ADDR": ":70000"}, nil,
			`FOLIO_ADDR ":70000" is not a listen address`},
		{"postgres url without database", map[string]string{"FOLIO_DB": "postgres://db:5432"}, nil,
			"FOLIO_DB is not a PostgreSQL URL; use postgres://user:password@host:5432/database"},
		{"blank database", nil, []string{"--db", " "},
			"--db must name a database file"},
		{"bad body limit", map[string]string{"FOLIO_BODY_LIMIT": "lots"}, nil,
			`FOLIO_BODY_LIMIT "lots" is not a size`},
		{"zero body limit", map[string]string{"FOLIO_BODY_LIMIT": "0"}, nil,
			`FOLIO_BODY_LIMIT "0" must be between 1 byte and 1GiB`},
		{"origin with path", map[string]string{"FOLIO_CORS_ORIGINS": "https://example.com/app"}, nil,
			`FOLIO_CORS_ORIGINS "https://example.com/app" must be an origin only`},
		{"origin without scheme", map[string]string{"FOLIO_CORS_ORIGINS": "example.com"}, nil,
			`FOLIO_CORS_ORIGINS "example.com" is not an origin`},
		{"short metrics token", map[string]string{"FOLIO_METRICS_TOKEN": "abc"}, nil,
			"FOLIO_METRICS_TOKEN must be at least 16 characters (it has 3)"},
		{"metrics on the api address", map[string]string{"FOLIO_ADDR": ":8080", "FOLIO_METRICS_ADDR": ":8080"}, nil,
			`FOLIO_METRICS_ADDR ":8080" is the API's own address`},
		{"bad trusted proxy", map[string]string{"FOLIO_TRUSTED_PROXIES": "10.0.0.0/33"}, nil,
			`FOLIO_TRUSTED_PROXIES "10.0.0.0/33" is not an IP address or CIDR range`},
		{"bad shutdown timeout", map[string]string{"FOLIO_SHUTDOWN_TIMEOUT": "15"}, nil,
			`FOLIO_SHUTDOWN_TIMEOUT "15" is not a duration`},
		{"admin password without email", map[string]string{"FOLIO_ADMIN_PASSWORD": "long enough pw"}, nil,
			"FOLIO_ADMIN_PASSWORD is set but FOLIO_ADMIN_EMAIL is not"},
		{"short admin password", map[string]string{"FOLIO_ADMIN_EMAIL": "a@example.com", "FOLIO_ADMIN_PASSWORD": "short"}, nil,
			"FOLIO_ADMIN_PASSWORD must be 10 to 256 bytes long (it has 5)"},
		{"admin email without at", map[string]string{"FOLIO_ADMIN_EMAIL": "admin"}, nil,
			`FOLIO_ADMIN_EMAIL "admin" is not an email address`},
		{"unknown flag", nil, []string{"--colour"},
			"flag provided but not defined: -colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.env, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := load(t, map[string]string{"FOLIO_LOG_LEVEL": "loud", "FOLIO_ADDR": "nowhere"})
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load() error = %v, want *config.Error", err)
	}
	if len(cerr.Problems) != 2 {
		t.Errorf("Load() found %d problems, want 2: %v", len(cerr.Problems), err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1048576", 1 << 20, false},
		{"1MiB", 1 << 20, false},
		{"64KiB", 64 << 10, false},
		{"2MB", 2_000_000, false},
		{"2GiB", 2 << 30, false},
		{"0", 0, false},
		{"10KB", 10_000, false},
		{"100 B", 100, false},
		{"1.5MiB", 0, true},
		{"-1", 0, true},
		{"MiB", 0, true},
		{"9999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
