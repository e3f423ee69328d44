package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/api"
	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/demo"
	"github.com/foliocms/folio/internal/logging"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

// appVersion is the version the binary was built as, or the module's when built without it.
func appVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func versionString() string {
	return fmt.Sprintf("folio %s %s/%s %s", appVersion(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// setup parses a command's flags into the configuration and builds the logger.
func setup(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (config.Config, *slog.Logger, error) {
	fs := flag.NewFlagSet("folio "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	cfg, err := config.Load(fs, args, getenv)
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) || errors.Is(err, flag.ErrHelp) {
			return cfg, nil, err
		}
		return cfg, nil, usageError(err.Error()) // the flag package has said what was wrong
	}
	return cfg, logging.New(stderr, cfg.LogLevel, cfg.LogFormat), nil
}

// defaultAdminEmail is the first admin's email when FOLIO_ADMIN_EMAIL is not set.
const defaultAdminEmail = "admin@localhost"

const firstAdminBanner = `
================================================================================
  Folio created its first admin. Log in with:

      email:     %s
      password:  %s

  This password is shown only this once. Change it after logging in
  (POST /api/v1/auth/password), or set another with: folio user set-password
================================================================================

`

// openDatabase opens the database, applies pending migrations and, when there are no users,
// creates the first admin, as every command that uses the database does: no command runs
// against an older schema than it expects, and whichever runs first leaves a way to log in.
//
// A generated first-admin password goes to stderr directly, not through the logger: it must
// reach the operator whatever FOLIO_LOG_LEVEL says, and it must not be in the structured log.
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger, stderr io.Writer) (*openedDB, error) {
	return openDatabaseWith(ctx, database.Options{Path: cfg.DB, Logger: logger}, cfg, logger, stderr)
}

// openDatabaseWith is openDatabase with the options of database.Open.
func openDatabaseWith(ctx context.Context, opts database.Options, cfg config.Config, logger *slog.Logger, stderr io.Writer) (*openedDB, error) {
	db, err := database.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	o, err := prepare(ctx, db, cfg, logger, stderr)
	if err != nil {
		_ = database.Close(db)
		return nil, err
	}
	return o, nil
}

// openedDB is a migrated database with the stores on it.
type openedDB struct {
	db       *gorm.DB
	changes  *changes.Generation // raised by every write of the stores below
	accounts *auth.Store
	content  *content.Store
}

func (o *openedDB) close() error { return database.Close(o.db) }

func prepare(ctx context.Context, db *gorm.DB, cfg config.Config, logger *slog.Logger, stderr io.Writer) (*openedDB, error) {
	applied, err := database.Migrate(ctx, db)
	for _, r := range applied {
		logger.Info("migration applied", "migration", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	if err != nil {
		return nil, err
	}
	keys, err := auth.LoadKeys(ctx, db, cfg.JWTSecret, cfg.JWTPrevious...)
	if err != nil {
		return nil, err
	}
	gen, err := changes.New(ctx, db)
	if err != nil {
		return nil, err
	}
	o := &openedDB{
		db:       db,
		changes:  gen,
		accounts: auth.NewStore(db, auth.Options{Keys: keys, AccessTTL: cfg.AccessTokenTTL, Changes: gen}),
		content:  content.NewStore(db, content.Options{Changes: gen}),
	}
	email := cmp.Or(cfg.AdminEmail, defaultAdminEmail)
	password, err := o.accounts.EnsureFirstAdmin(ctx, email, cfg.AdminPassword)
	if err != nil {
		return nil, err
	}
	switch {
	case password == "":
	case cfg.AdminPassword != "":
		logger.Info("first admin created with FOLIO_ADMIN_EMAIL and FOLIO_ADMIN_PASSWORD", "email", email)
	default:
		logger.Warn("first admin created with a generated password, printed once to standard error", "email", email)
		fmt.Fprintf(stderr, firstAdminBanner, email, password)
	}
	return o, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, _, stderr io.Writer) error {
	start := time.Now()
	var loadDemo bool
	cfg, logger, err := setup("serve", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&loadDemo, "demo", false, "load the demo content into a database that has no items")
	})
	if err != nil {
		return err
	}
	if len(cfg.Args) > 0 {
		return usageError(fmt.Sprintf("serve takes no arguments, got %q", cfg.Args))
	}
	o, err := openDatabase(ctx, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if err := o.close(); err != nil {
			logger.Error("close database", "error", err)
		}
	}()

	if loadDemo {
		if err := loadDemoContent(ctx, logger, o.accounts, o.content); err != nil {
			return err
		}
	}

	// Writes by other processes on the database (an import, another server) reach this one's
	// response cache within a second.
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go o.changes.Watch(watchCtx, time.Second, logger)

	reg := api.NewRegistry()
	if err := database.RegisterMetrics(reg, o.db); err != nil {
		return err
	}
	handler := api.NewServer(cfg, logger, reg, api.Deps{
		Ping:     func(ctx context.Context) error { return database.Ping(ctx, o.db) },
		Accounts: o.accounts,
		Content:  o.content,
		Changes:  o.changes,
	})

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	servers := []*server{{name: "api", srv: newHTTPServer(handler, logger), ln: ln}}
	if cfg.MetricsAddr != "" {
		mln, err := lc.Listen(ctx, "tcp", cfg.MetricsAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
		servers = append(servers, &server{name: "metrics", srv: newHTTPServer(api.NewMetricsServer(logger, reg), logger), ln: mln})
	}
	for _, s := range servers {
		logger.Info("listening", "server", s.name, "addr", s.ln.Addr().String())
	}
	logger.Info("ready", "version", appVersion(), "db", database.Redact(cfg.DB), "startup_ms", float64(time.Since(start).Microseconds())/1000)
	return serveUntilDone(ctx, logger, cfg.ShutdownTimeout, servers...)
}

// loadDemoContent loads the demo content, authored by the first admin, into a database that has
// no items; on one that has, it only says so.
func loadDemoContent(ctx context.Context, logger *slog.Logger, accounts *auth.Store, items *content.Store) error {
	admin, err := accounts.FirstAdmin(ctx)
	if err != nil {
		return fmt.Errorf("load demo content: %w", err)
	}
	loaded, err := demo.Load(ctx, items, &content.Actor{UserID: admin.ID, Role: admin.Role})
	if err != nil {
		return fmt.Errorf("load demo content: %w", err)
	}
	if !loaded {
		logger.Info("demo content not loaded: the database already has items")
		return nil
	}
	logger.Info("demo content loaded", "collection", "/api/v1/collections/"+demo.CollectionKey+"/items")
	return nil
}

// server is an HTTP server and the listener it serves.
type server struct {
	name string
	srv  *http.Server
	ln   net.Listener
}

// newHTTPServer sets the timeouts that keep slow or idle clients from holding connections
// forever (the zero values of http.Server mean no limit at all).
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves until ctx is cancelled (SIGTERM or SIGINT), then shuts down gracefully:
// the listeners close at once, requests in flight may finish within timeout, idle connections
// close. It returns an error if a server failed or requests had to be cut off.
func serveUntilDone(ctx context.Context, logger *slog.Logger, timeout time.Duration, servers ...*server) error {
	failed := make(chan error, len(servers))
	for _, s := range servers {
		go func() {
			if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("%s server: %w", s.name, err)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", timeout.String())
	case err = <-failed:
		logger.Error("server failed, shutting down", "error", err)
	}
	// The parent context is done; shutdown gets its own deadline, shared by the servers, which
	// stop side by side.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			if serr := s.srv.Shutdown(sctx); serr != nil {
				_ = s.srv.Close()
				errs[i] = fmt.Errorf("%s server: requests still running after %v were cut off: %w", s.name, timeout, serr)
			}
		})
	}
	wg.Wait()
	err = errors.Join(append(errs, err)...)
	if err == nil {
		logger.Info("stopped")
	}
	return err
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, logger, err := setup("migrate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(cfg.Args) != 1 {
		return usageError("usage: folio migrate up|down|status")
	}
	db, err := database.Open(ctx, database.Options{Path: cfg.DB, Logger: logger})
	if err != nil {
		return err
	}
	defer database.Close(db)
	p, err := database.Migrations(db)
	if err != nil {
		return err
	}
	switch cfg.Args[0] {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintln(stdout, r)
		}
		if err == nil && len(res) == 0 {
			fmt.Fprintln(stdout, "no pending migrations")
		}
		return err
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Fprintln(stdout, r)
		}
		return err
	case "status":
		status, err := p.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range status {
			applied := "pending"
			if !s.AppliedAt.IsZero() {
				applied = s.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%-8s %-21s %s\n", s.State, applied, s.Source.Path)
		}
		return nil
	default:
		return usageError(fmt.Sprintf("unknown migrate command %q; use up, down or status", cfg.Args[0]))
	}
}

func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, logger, err := setup("backup", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(cfg.Args) != 1 {
		return usageError("usage: folio backup FILE")
	}
	if database.IsPostgresURL(cfg.DB) {
		return errors.New("backup: folio backup copies a SQLite database; back up PostgreSQL with pg_dump")
	}
	if err := existingDatabase("backup", cfg.DB); err != nil {
		return err
	}
	o, err := openDatabase(ctx, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer o.close()
	start := time.Now()
	if err := database.Backup(ctx, o.db, cfg.Args[0]); err != nil {
		return err
	}
	st, err := os.Stat(cfg.Args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes, %v, integrity ok)\n", cfg.DB, cfg.Args[0], st.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}

// healthcheck asks the local server's /readyz, for container health checks: the container image
// has no shell and no curl.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := setup("healthcheck", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(cfg.Addr) // config has validated it
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
	}
	fmt.Fprintln(stdout, "ready")
	return nil
}

// existingDatabase checks, for a command that reads a database (backup, export, migrate-data),
// that location names one: opening a SQLite path that does not exist would create an empty
// database, and a mistyped path would then be read as a site with nothing in it.
func existingDatabase(command, location string) error {
	if database.IsPostgresURL(location) {
		return nil
	}
	if _, err := os.Stat(location); err != nil {
		return fmt.Errorf("%s: no database at %s: %w", command, location, err)
	}
	return nil
}
