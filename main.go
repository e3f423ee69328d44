// Command folio is a headless CMS: a JSON REST API that editors write content into and
// frontends read it from. Run `folio help` for its commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "folio:", err)
		if errors.As(err, new(usageError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

const usage = `Folio, a headless CMS.

Usage: folio COMMAND [flags]

Commands:
  serve [--demo]         run the API server (--demo loads the demo content into an empty database)
  migrate up|down|status apply all pending migrations, roll back the last one, or list them
  backup FILE            write a consistent copy of the live database to FILE (never overwrites)
  user create --email E --role R [--name N]
                         create a user; the password is read from standard input, or generated
  user set-password --email E
                         set a user's password (from standard input, or generated) and end their sessions
  import FILE [--continue-on-error]
                         load types, tags, items and collections from an NDJSON file, all or nothing
  export FILE            write every type, tag, item and collection to a new NDJSON file
  migrate-data --from SRC --to DST
                         copy a whole database (SQLite file or postgres:// URL) into an empty one, verified
  healthcheck            exit 0 when the local server answers /readyz (for container health checks)
  version                print the version

Every setting is an environment variable and a flag; "folio COMMAND -h" lists them.
`

// usageError is a mistake in the command line, as opposed to a failure while running.
type usageError string

func (e usageError) Error() string { return string(e) }

// run is the whole program, with the operating system passed in so that tests can run it.
// It returns when the command is done or, for serve, when ctx is cancelled and the server has
// shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return usageError("no command given")
	}
	cmd, rest := args[1], args[2:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		err = migrate(ctx, rest, getenv, stdout, stderr)
	case "backup":
		err = backup(ctx, rest, getenv, stdout, stderr)
	case "user":
		err = user(ctx, rest, getenv, stdin, stdout, stderr)
	case "import":
		err = importFile(ctx, rest, getenv, stdout, stderr)
	case "export":
		err = exportFile(ctx, rest, getenv, stdout, stderr)
	case "migrate-data":
		err = migrateData(ctx, rest, getenv, stdout, stderr)
	case "healthcheck":
		err = healthcheck(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprint(stderr, usage)
		return usageError(fmt.Sprintf("unknown command %q", cmd))
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil // the flag package has printed the help
	}
	return err
}
