package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/database"
)

// importFile loads an NDJSON file into the database: folio import FILE [--continue-on-error].
func importFile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	var continueOnError bool
	cfg, logger, err := setup("import", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&continueOnError, "continue-on-error", false, "import the good lines and report the bad ones (default: a bad line imports nothing)")
	})
	if err != nil {
		return err
	}
	if len(cfg.Args) != 1 {
		return usageError("usage: folio import FILE [--continue-on-error]")
	}
	f, err := os.Open(cfg.Args[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}

	// Alone on a SQLite file, the import writes it without the write-ahead log, which costs a
	// large import much and gives it nothing (database.Options.Exclusive); alongside a server,
	// through the log, so that the server goes on answering.
	o, err := openDatabaseWith(ctx, database.Options{Path: cfg.DB, Logger: logger, Exclusive: true}, cfg, logger, stderr)
	if errors.Is(err, database.ErrInUse) {
		logger.Info("the database is open elsewhere, a server maybe: importing alongside it, through the write-ahead log")
		o, err = openDatabase(ctx, cfg, logger, stderr)
	}
	if err != nil {
		return err
	}
	defer func() {
		// Closing puts the file back in WAL mode after an import that had it to itself.
		if cerr := o.close(); err == nil && cerr != nil {
			err = fmt.Errorf("import: %w", cerr)
		}
	}()
	admin, err := o.accounts.FirstAdmin(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}

	start := time.Now()
	progress := &content.ImportProgress{}
	stop := showProgress(stderr, func() (float64, string) {
		done, items := progress.Bytes.Load(), progress.Items.Load()
		return float64(done) / float64(max(st.Size(), 1)), fmt.Sprintf("%d items", items)
	}, func() float64 { return float64(progress.Items.Load()) }, "items")
	res, err := o.content.Import(ctx, f, content.ImportOptions{ContinueOnError: continueOnError, Author: admin.ID, Progress: progress})
	stop()
	if res != nil {
		for i := range res.Bad {
			fmt.Fprintln(stderr, res.Bad[i].Error())
		}
		if res.BadLines > len(res.Bad) {
			fmt.Fprintf(stderr, "… and %d more bad lines\n", res.BadLines-len(res.Bad))
		}
	}
	if err != nil {
		if errors.Is(err, content.ErrImportRejected) {
			return fmt.Errorf("import: %d bad lines; nothing was imported (--continue-on-error imports the rest)", res.BadLines)
		}
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "imported %d types, %d tags, %d items, %d collections from %s in %v (%.0f items/s)",
		res.Types, res.Tags, res.Items, res.Collections, cfg.Args[0], elapsed.Round(time.Millisecond), float64(res.Items)/elapsed.Seconds())
	if res.Unchanged > 0 {
		fmt.Fprintf(stdout, "; %d types and tags were there already", res.Unchanged)
	}
	if res.BadLines > 0 {
		fmt.Fprintf(stdout, "; skipped %d bad lines", res.BadLines)
	}
	fmt.Fprintln(stdout)
	return nil
}

// exportFile writes the content to a new NDJSON file: folio export FILE.
func exportFile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, logger, err := setup("export", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(cfg.Args) != 1 {
		return usageError("usage: folio export FILE")
	}
	if err := existingDatabase("export", cfg.DB); err != nil {
		return err
	}
	o, err := openDatabase(ctx, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer o.close()
	total, err := o.content.CountItems(ctx)
	if err != nil {
		return err
	}

	// Drafts are in it: readable by its owner only, and never over another file.
	path := cfg.Args[0]
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	start := time.Now()
	var items atomic.Int64
	stop := showProgress(stderr, func() (float64, string) {
		return float64(items.Load()) / float64(max(total, 1)), fmt.Sprintf("%d/%d items", items.Load(), total)
	}, func() float64 { return float64(items.Load()) }, "items")
	res, err := o.content.Export(ctx, f, func(n int) { items.Store(int64(n)) })
	stop()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return err
	}
	fmt.Fprintf(stdout, "exported %d types, %d tags, %d items, %d collections to %s in %v\n",
		res.Types, res.Tags, res.Items, res.Collections, path, time.Since(start).Round(time.Millisecond))
	return nil
}

// showProgress reports a long command's progress on w until the returned stop is called: a bar
// with the rate and the time left, redrawn in place, on a terminal; a plain line every
// progressEvery otherwise (a log, a CI job), so that the output stays readable there.
//
// state returns the fraction done and what to say about it; count returns what the rate counts.
func showProgress(w io.Writer, state func() (float64, string), count func() float64, unit string) (stop func()) {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	every := progressEvery
	if tty {
		every = 200 * time.Millisecond
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprint(w, "\r\033[K") // the summary line takes the bar's place
				}
				return
			case <-t.C:
				frac, what := state()
				fmt.Fprint(w, progressLine(frac, what, count(), unit, time.Since(start), tty))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// progressEvery is how often progress is reported when not on a terminal.
var progressEvery = 5 * time.Second

// progressLine renders one report of progress.
func progressLine(frac float64, what string, n float64, unit string, elapsed time.Duration, tty bool) string {
	frac = min(max(frac, 0), 1)
	rate := n / max(elapsed.Seconds(), 1e-9)
	eta := "?"
	if frac > 0 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	text := fmt.Sprintf("%3.0f%% %s, %.0f %s/s, %s left", frac*100, what, rate, unit, eta)
	if !tty {
		return text + "\n"
	}
	const width = 30
	filled := int(frac * width)
	return "\r\033[K[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "] " + text
}
