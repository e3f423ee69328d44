package main

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foliocms/folio/internal/database/dbtest"
)

// TestMigrateData copies a SQLite database into the suite's database (a second SQLite file, or
// PostgreSQL) and back out: the copies export the same content as the original, the output
// never shows a password, and the command refuses a destination that has content.
func TestMigrateData(t *testing.T) {
	dir := t.TempDir()
	from, back := filepath.Join(dir, "from.db"), filepath.Join(dir, "back.db")
	to := dbtest.Location(t)
	if dbtest.Postgres() {
		// PostgreSQL here trusts the connection and ignores it; the output must not show it.
		u, _ := url.Parse(to)
		u.User = url.UserPassword(u.User.Username(), "hunter2-secret")
		to = u.String()
	}
	call := func(db string, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append([]string{"folio"}, args...), env("FOLIO_DB", db, "FOLIO_LOG_LEVEL", "warn"), strings.NewReader(""), &out, &errOut)
		return out.String(), errOut.String(), err
	}

	ndjson := filepath.Join(dir, "content.ndjson")
	os.WriteFile(ndjson, []byte(`{"tag": {"slug": "coops", "name": "Cooperatives"}}
{"item": {"type": "news", "title": "Cooperatives in Timor-Leste", "tags": ["coops"], "status": "published", "published_at": "2024-01-02T03:04:05Z"}}
{"item": {"type": "event", "title": "A draft"}}
`), 0o600)
	if _, _, err := call(from, "import", ndjson); err != nil {
		t.Fatal(err)
	}

	for _, hop := range [][2]string{{from, to}, {to, back}} {
		out, errOut, err := call("", "migrate-data", "--from", hop[0], "--to", hop[1])
		if err != nil {
			t.Fatalf("migrate-data --from %s --to %s = %v\n%s", hop[0], hop[1], err, errOut)
		}
		for _, want := range []string{"items                   2  ", "users                   1  ", "verified: "} {
			if !strings.Contains(out, want) {
				t.Errorf("migrate-data said\n%s\nwant a line with %q", out, want)
			}
		}
		if !strings.Contains(errOut, "  items ") {
			t.Errorf("migrate-data reported\n%s\nwant a line per table", errOut)
		}
		if strings.Contains(out+errOut, "hunter2") {
			t.Errorf("migrate-data showed the password:\n%s%s", out, errOut)
		}
	}
	export := func(db string) string {
		t.Helper()
		file := filepath.Join(t.TempDir(), "export.ndjson")
		if _, _, err := call(db, "export", file); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(file)
		return string(b)
	}
	if want, got := export(from), export(back); got != want || !strings.Contains(got, "Timor-Leste") {
		t.Errorf("export after a round trip:\n%s\nwant\n%s", got, want)
	}

	_, _, err := call("", "migrate-data", "--from", from, "--to", to)
	if err == nil || !strings.Contains(err.Error(), "the destination already has 1 users and 2 items; migrate-data copies into an empty database") {
		t.Errorf("migrate-data into a database with content = %v, want a refusal", err)
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the refusal shows the password: %v", err)
	}
	var uerr usageError
	for _, args := range [][]string{{}, {"--from", from}, {"--to", back}, {"--from", from, "--to", from}, {"--from", from, "--to", filepath.Join(dir, ".", "from.db")}, {"--from", from, "--to", back, "extra"}} {
		if _, _, err := call("", append([]string{"migrate-data"}, args...)...); !errors.As(err, &uerr) {
			t.Errorf("folio migrate-data %q = %v, want a usage error", args, err)
		}
	}
	if _, _, err := call("", "migrate-data", "--from", filepath.Join(dir, "missing.db"), "--to", filepath.Join(dir, "new.db")); err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("migrate-data from a missing file = %v, want it named", err)
	}
}
