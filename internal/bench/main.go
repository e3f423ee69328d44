// Command bench measures Folio as its users meet it: the real binary, a database seeded by
// `folio import` with a synthetic corpus, and load over HTTP on loopback from vegeta at a fixed
// number of connections, as fast as the server answers. A minimal Echo server returning a
// fixed 2 KB JSON body, measured in the same run with the same load, is the baseline that every
// throughput is compared with, so that the ratios mean the same on a fast machine and a slow
// or busy one.
//
//	make bench [N=100000] [DURATION=10s] [OUT=bench-results.md] [KEEP=dir] [DB=postgres [PG=url] [REPLICAS=2]]
//	go run -tags sqlite_fts5 ./internal/bench -n 100000 -duration 10s -out bench-results.md
//
// With -db postgres the server runs on a database created for the run on a PostgreSQL server,
// and with -replicas 2 two servers share it and the load alternates between them.
//
// It exits non-zero when a step fails or a scenario had errors; targets that were missed are
// reported, not enforced, since a shared machine's figures vary from run to run.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command line's.
type options struct {
	n        int
	duration time.Duration
	out      string
	keep     string
	seed     uint64
	only     string   // letters of the scenarios to run; all when empty
	env      []string // KEY=VALUE settings of the server, beyond the benchmark's own
	db       string   // sqlite or postgres
	pg       string   // admin URL of the PostgreSQL server, with -db postgres
	replicas int      // servers on the one database
}

func (o options) postgres() bool { return o.db == "postgres" }

// runs reports whether the scenario of this name, which starts with its letter in parentheses,
// is to be run.
func (o options) runs(name string) bool {
	return o.only == "" || strings.Contains(o.only, name[1:2])
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The baseline server is this same program, started again with a command of its own.
	if len(args) > 0 && args[0] == baselineCommand {
		return serveBaseline(ctx, stdout)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.n, "n", 100_000, "number of items in the corpus")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each scenario is measured, after its warm-up")
	fs.StringVar(&o.out, "out", "bench-results.md", "Markdown `file` the results are written to")
	fs.StringVar(&o.keep, "keep", "", "`dir` that keeps the binary, the corpus, the seeded database and the logs, and reuses the corpus and database of the same size and seed")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the corpus and of the requests")
	fs.StringVar(&o.only, "only", "", "run only these `scenarios`, by letter (for example ac); the import (f) and the baseline always run")
	fs.StringVar(&o.db, "db", "sqlite", "database the server runs on: `sqlite` or postgres")
	fs.StringVar(&o.pg, "pg", "", "PostgreSQL `URL` whose role may create databases, with -db postgres: each run creates its own and drops it (default $FOLIO_TEST_POSTGRES or "+defaultPostgres+")")
	fs.IntVar(&o.replicas, "replicas", 1, "`number` of servers on the one database, the load alternating between them (more than one needs -db postgres)")
	fs.Func("env", "a `KEY=VALUE` setting of the server, such as FOLIO_CACHE_SIZE=16MiB or GOMEMLIMIT=100MiB, to compare settings (repeatable)", func(kv string) error {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return errors.New("want KEY=VALUE")
		}
		o.env = append(o.env, kv)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	// Resolved here rather than as the flag's default, which -help would print with its password.
	o.pg = cmp.Or(o.pg, os.Getenv("FOLIO_TEST_POSTGRES"), defaultPostgres)
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.n < 100:
		return errors.New("-n must be at least 100")
	case o.duration < time.Second:
		return errors.New("-duration must be at least 1s")
	case strings.Trim(o.only, "abcde") != "":
		return errors.New("-only takes letters of the scenarios a to e")
	case o.db != "sqlite" && o.db != "postgres":
		return fmt.Errorf("-db %q: want sqlite or postgres", o.db)
	case o.replicas < 1 || o.replicas > 4:
		return errors.New("-replicas must be 1 to 4")
	case o.replicas > 1 && !o.postgres():
		return errors.New("-replicas needs -db postgres: replicas share a database server")
	}
	if err := benchmark(ctx, o, stdout, stderr); err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
		return err
	}
	return nil
}
