// Package config reads Folio's settings from the environment and from command-line flags and
// checks them once, at start, so that a mistake stops the process with a message the operator
// can act on instead of surfacing later as a confusing failure. It is the only package that
// reads the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of a Folio process. Load fills it; nothing changes it afterwards.
type Config struct {
	Addr            string        // listen address of the API
	DB              string        // SQLite file path, or a postgres:// URL
	JWTSecret       []byte        // HMAC key for access tokens; empty means generated and stored in the database
	JWTPrevious     [][]byte      // retired HMAC keys, still accepted for verification during a rotation
	AccessTokenTTL  time.Duration // lifetime of access tokens
	AdminEmail      string        // first admin, created at start when there are no users
	AdminPassword   string        // its password; empty means generated and printed once
	CORSOrigins     []string      // allowed browser origins; empty disables CORS
	LogLevel        string        // debug, info, warn or error
	LogFormat       string        // text, json, or "" to choose by whether the output is a terminal
	BodyLimit       int64         // largest request body in bytes
	MetricsToken    string        // bearer token that unlocks /metrics on the API listener
	MetricsAddr     string        // a separate listener for /metrics
	TrustedProxies  []*net.IPNet  // proxies whose X-Forwarded-For is believed
	ShutdownTimeout time.Duration // how long in-flight requests may take to finish on shutdown
	CacheMaxAge     time.Duration // max-age of public responses
	CacheStale      time.Duration // stale-while-revalidate of public responses
	CacheSize       int64         // memory for kept public responses, in bytes; 0 turns the response cache off

	// Args are the positional arguments left after the flags.
	Args []string
}

// Limits that keep configuration values sane.
const (
	MinJWTSecret      = 32
	MinMetricsToken   = 16
	MinAdminPassword  = 10
	MaxAdminPassword  = 256
	DefaultBodyLimit  = 1 << 20
	defaultShutdown   = 15 * time.Second
	defaultAccessTTL  = 15 * time.Minute
	maxAccessTTL      = 24 * time.Hour
	maxShutdown       = 10 * time.Minute
	maxBodyLimitBytes = 1 << 30
	maxCacheSize      = 64 << 30
)

// setting is one row of the configuration table: an environment variable and the flag that
// overrides it.
type setting struct {
	env, flag, def, usage string
	value                 string
	fromFlag              bool
}

// source names where a value came from, so that an error message points at what to fix.
func (s *setting) source() string {
	if s.fromFlag {
		return "--" + s.flag
	}
	return s.env
}

// Load registers the configuration flags on fs (which may already hold a command's own flags),
// parses args, falls back to getenv and then to the defaults, and validates the result. All
// problems are reported together.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	settings := []*setting{
		{env: "FOLIO_ADDR", flag: "addr", def: "localhost:8080", usage: "listen `address` (host:port)"},
		{env: "FOLIO_DB", flag: "db", def: "data/folio.db", usage: "SQLite database `file`, or a postgres:// URL"},
		{env: "FOLIO_JWT_SECRET", flag: "jwt-secret", usage: "HMAC `key` for access tokens, at least 32 bytes (default: generated once and stored in the database)"},
		{env: "FOLIO_JWT_PREVIOUS_SECRETS", flag: "jwt-previous-secrets", usage: "comma-separated retired HMAC `keys`, still accepted until the tokens they signed expire"},
		{env: "FOLIO_ACCESS_TOKEN_TTL", flag: "access-token-ttl", def: defaultAccessTTL.String(), usage: "lifetime of access tokens (a `duration` such as 15m)"},
		{env: "FOLIO_ADMIN_EMAIL", flag: "admin-email", usage: "`email` of the first admin, created when there are no users"},
		{env: "FOLIO_ADMIN_PASSWORD", flag: "admin-password", usage: "`password` of the first admin (default: generated and printed once)"},
		{env: "FOLIO_CORS_ORIGINS", flag: "cors-origins", usage: "comma-separated `origins` allowed to call the API from a browser"},
		{env: "FOLIO_LOG_LEVEL", flag: "log-level", def: "info", usage: "log `level`: debug, info, warn or error"},
		{env: "FOLIO_LOG_FORMAT", flag: "log-format", usage: "log `format`: text or json (default: text on a terminal, json otherwise)"},
		{env: "FOLIO_BODY_LIMIT", flag: "body-limit", def: "1MiB", usage: "largest request `size`, in bytes or with a KiB, MiB, KB or MB suffix"},
		{env: "FOLIO_METRICS_TOKEN", flag: "metrics-token", usage: "bearer `token` that unlocks /metrics on the API listener"},
		{env: "FOLIO_METRICS_ADDR", flag: "metrics-addr", usage: "separate listen `address` for /metrics"},
		{env: "FOLIO_TRUSTED_PROXIES", flag: "trusted-proxies", usage: "comma-separated `CIDRs` whose X-Forwarded-For is believed"},
		{env: "FOLIO_CACHE_MAX_AGE", flag: "cache-max-age", def: "1m", usage: "how long caches may keep public responses (Cache-Control max-age; a `duration`)"},
		{env: "FOLIO_CACHE_STALE", flag: "cache-stale", def: "5m", usage: "how long caches may serve them stale while they revalidate (stale-while-revalidate; a `duration`)"},
		{env: "FOLIO_CACHE_SIZE", flag: "cache-size", def: "16MiB", usage: "memory for rendered public responses kept in the process (a `size`; 0 turns the response cache off)"},
		{env: "FOLIO_SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", def: defaultShutdown.String(), usage: "how long in-flight requests may take to finish on shutdown (a `duration` such as 15s)"},
	}
	byFlag := make(map[string]*setting, len(settings))
	for _, s := range settings {
		byFlag[s.flag] = s
		// The flag's default is the static one, never the environment's value: help and usage
		// messages print defaults, and the environment holds secrets.
		fs.StringVar(&s.value, s.flag, s.def, s.usage+" ["+s.env+"]")
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return Config{}, err
	}
	fs.Visit(func(f *flag.Flag) {
		if s, ok := byFlag[f.Name]; ok {
			s.fromFlag = true
		}
	})
	for _, s := range settings {
		if v, ok := lookup(getenv, s.env); ok && !s.fromFlag {
			s.value = v
		}
	}

	var (
		cfg  = Config{Args: positional}
		errs []error
	)
	bad := func(s *setting, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s %s", s.source(), fmt.Sprintf(format, a...)))
	}
	get := func(flagName string) *setting { return byFlag[flagName] }

	if s := get("addr"); checkAddr(s.value) != nil {
		bad(s, "%q is not a listen address; use host:port, for example localhost:8080 or :8080", s.value)
	} else {
		cfg.Addr = s.value
	}

	switch s := get("db"); {
	case strings.TrimSpace(s.value) == "":
		bad(s, "must name a database file, for example data/folio.db")
	case isPostgresURL(s.value):
		if u, err := url.Parse(s.value); err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			bad(s, "is not a PostgreSQL URL; use postgres://user:password@host:5432/database")
		} else {
			cfg.DB = s.value
		}
	default:
		cfg.DB = s.value
	}

	if s := get("jwt-secret"); s.value != "" {
		if len(s.value) < MinJWTSecret {
			bad(s, "must be at least %d bytes (it has %d); generate one with: openssl rand -base64 48", MinJWTSecret, len(s.value))
		} else {
			cfg.JWTSecret = []byte(s.value)
		}
	}

	if s := get("jwt-previous-secrets"); s.value != "" {
		for i, secret := range splitList(s.value) {
			if len(secret) < MinJWTSecret {
				bad(s, "entry %d must be at least %d bytes (it has %d)", i+1, MinJWTSecret, len(secret))
				continue
			}
			cfg.JWTPrevious = append(cfg.JWTPrevious, []byte(secret))
		}
	}

	{
		s := get("access-token-ttl")
		d, err := time.ParseDuration(s.value)
		switch {
		case err != nil:
			bad(s, "%q is not a duration; use a number with a unit, for example 15m", s.value)
		case d < time.Minute || d > maxAccessTTL:
			bad(s, "%q must be between 1m and %v", s.value, maxAccessTTL)
		default:
			cfg.AccessTokenTTL = d
		}
	}

	email, password := get("admin-email"), get("admin-password")
	cfg.AdminEmail = strings.TrimSpace(email.value)
	cfg.AdminPassword = password.value
	if cfg.AdminEmail != "" && !strings.Contains(cfg.AdminEmail, "@") {
		bad(email, "%q is not an email address", cfg.AdminEmail)
	}
	if cfg.AdminPassword != "" {
		if cfg.AdminEmail == "" {
			bad(password, "is set but %s is not; give both, or neither to have a password generated", email.env)
		}
		if n := len(cfg.AdminPassword); n < MinAdminPassword || n > MaxAdminPassword {
			bad(password, "must be %d to %d bytes long (it has %d)", MinAdminPassword, MaxAdminPassword, n)
		}
	}

	if s := get("cors-origins"); s.value != "" {
		for _, o := range splitList(s.value) {
			origin, err := normalizeOrigin(o)
			if err != nil {
				bad(s, "%q %v", o, err)
				continue
			}
			cfg.CORSOrigins = append(cfg.CORSOrigins, origin)
		}
	}

	switch s := get("log-level"); strings.ToLower(s.value) {
	case "debug", "info", "warn", "error":
		cfg.LogLevel = strings.ToLower(s.value)
	default:
		bad(s, "%q is not a log level; use debug, info, warn or error", s.value)
	}

	switch s := get("log-format"); strings.ToLower(s.value) {
	case "", "text", "json":
		cfg.LogFormat = strings.ToLower(s.value)
	default:
		bad(s, "%q is not a log format; use text or json", s.value)
	}

	{
		s := get("body-limit")
		n, err := ParseSize(s.value)
		switch {
		case err != nil:
			bad(s, "%q %v", s.value, err)
		case n < 1 || n > maxBodyLimitBytes:
			bad(s, "%q must be between 1 byte and 1GiB", s.value)
		default:
			cfg.BodyLimit = n
		}
	}

	{
		s := get("cache-size")
		n, err := ParseSize(s.value)
		switch {
		case err != nil:
			bad(s, "%q %v", s.value, err)
		case n > maxCacheSize:
			bad(s, "%q must be at most 64GiB", s.value)
		default:
			cfg.CacheSize = n
		}
	}

	if s := get("metrics-token"); s.value != "" {
		if len(s.value) < MinMetricsToken {
			bad(s, "must be at least %d characters (it has %d)", MinMetricsToken, len(s.value))
		} else {
			cfg.MetricsToken = s.value
		}
	}

	if s := get("metrics-addr"); s.value != "" {
		switch {
		case checkAddr(s.value) != nil:
			bad(s, "%q is not a listen address; use host:port, for example 127.0.0.1:9090", s.value)
		case s.value == cfg.Addr && !strings.HasSuffix(s.value, ":0"):
			bad(s, "%q is the API's own address; give the metrics listener a port of its own", s.value)
		default:
			cfg.MetricsAddr = s.value
		}
	}

	if s := get("trusted-proxies"); s.value != "" {
		for _, item := range splitList(s.value) {
			n, err := parseCIDR(item)
			if err != nil {
				bad(s, "%q is not an IP address or CIDR range, for example 10.0.0.0/8", item)
				continue
			}
			cfg.TrustedProxies = append(cfg.TrustedProxies, n)
		}
	}

	for _, c := range []struct {
		flag string
		dst  *time.Duration
	}{{"cache-max-age", &cfg.CacheMaxAge}, {"cache-stale", &cfg.CacheStale}} {
		s := get(c.flag)
		d, err := time.ParseDuration(s.value)
		switch {
		case err != nil:
			bad(s, "%q is not a duration; use a number with a unit, for example 60s or 5m", s.value)
		case d < 0 || d > 24*time.Hour:
			bad(s, "%q must be between 0s and 24h", s.value)
		default:
			*c.dst = d
		}
	}

	{
		s := get("shutdown-timeout")
		d, err := time.ParseDuration(s.value)
		switch {
		case err != nil:
			bad(s, "%q is not a duration; use a number with a unit, for example 15s or 1m", s.value)
		case d <= 0 || d > maxShutdown:
			bad(s, "%q must be more than 0 and at most %v", s.value, maxShutdown)
		default:
			cfg.ShutdownTimeout = d
		}
	}

	if len(errs) > 0 {
		return Config{}, &Error{Problems: errs}
	}
	return cfg, nil
}

// parseInterspersed parses flags wherever they appear among the arguments, so that
// `folio backup FILE --db x` works as well as `folio backup --db x FILE`; after "--" everything
// is an argument. It returns the arguments that are not flags, in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// Error lists every problem found in the configuration.
type Error struct {
	Problems []error
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return "invalid configuration:\n  " + strings.Join(lines, "\n  ")
}

// Unwrap lets errors.Is and errors.As look at each problem.
func (e *Error) Unwrap() []error { return e.Problems }

// lookup treats an empty variable like an unset one: `FOLIO_X= folio serve` means "default".
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("bad port")
	}
	return nil
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// normalizeOrigin accepts "*" or an origin: scheme, host and optional port, nothing else. It
// returns the origin as browsers send it in the Origin header (lower case, no trailing slash,
// no default port), because Echo's CORS middleware compares the two as strings.
func normalizeOrigin(o string) (string, error) {
	if o == "*" {
		return o, nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("is not an origin; use scheme://host[:port], for example https://www.example.com")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("must be an origin only (scheme://host[:port]), without a path, query or user")
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host, nil
}

func parseCIDR(s string) (*net.IPNet, error) {
	if !strings.Contains(s, "/") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, errors.New("bad IP")
		}
		bits := 128
		if ip.To4() != nil {
			ip, bits = ip.To4(), 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, n, err := net.ParseCIDR(s)
	return n, err
}

// ParseSize reads a byte count: a plain number, or one with a KiB, MiB, KB or MB suffix
// (binary and decimal units, as operators write both).
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		factor int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	num, factor := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, factor = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("is not a size; use a number of bytes or a KiB, MiB, GiB, KB, MB or GB suffix, for example 1MiB")
	}
	if n > (1<<62)/factor {
		return 0, errors.New("is too large")
	}
	return n * factor, nil
}
