package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// No Docker engine runs where Folio's CI runs, so the Dockerfile is checked in two ways: this
// test parses it and holds it to the image's promises, and, with FOLIO_TEST_DOCKER_BUILD=1 (CI
// sets it), runs the exact go build command of its build stage and checks that the result is a
// static binary that runs. `make dockerfile-check` adds an independent Dockerfile linter.

type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// parseDockerfile splits a Dockerfile into instructions, joining continued lines and dropping
// comments; enough of the format for the checks below.
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		out     []instruction
		current strings.Builder
	)
	for line := range strings.SplitSeq(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && current.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			current.WriteString(cont + " ")
			continue
		}
		current.WriteString(trimmed)
		cmd, args, _ := strings.Cut(current.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")})
		current.Reset()
	}
	return out
}

// finalStage returns the instructions after the last FROM, that FROM included.
func finalStage(ins []instruction) []instruction {
	last := 0
	for i, in := range ins {
		if in.cmd == "FROM" {
			last = i
		}
	}
	return ins[last:]
}

func TestDockerfilePolicy(t *testing.T) {
	all := parseDockerfile(t, "Dockerfile")
	final := finalStage(all)
	has := func(cmd, args string) bool {
		return slices.Contains(final, instruction{cmd, args})
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"final stage is distroless static, non-root", final[0].args == "gcr.io/distroless/static-debian12:nonroot"},
		{"runs as the non-root user", has("USER", "65532:65532")},
		{"declares the data volume", has("VOLUME", `["/data"]`)},
		{"listens on :8080 and keeps the database in /data", has("ENV", "FOLIO_ADDR=:8080 FOLIO_DB=/data/folio.db")},
		{"health check in exec form through the binary", has("HEALTHCHECK", `--interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/folio", "healthcheck"]`)},
		{"starts the server in exec form", has("ENTRYPOINT", `["/folio"]`) && has("CMD", `["serve"]`)},
		{"the volume's mount point belongs to the runtime user", has("COPY", "--from=build --chown=65532:65532 /out/data /data")},
		{"builds with the sqlite_fts5 tag", strings.Contains(goBuildCommand(t, all), "sqlite_fts5")},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("Dockerfile: %s: not so", c.what)
		}
	}
}

// goBuildCommand returns the shell command of the build stage's RUN that compiles Folio, without
// the RUN's own flags (--mount=...).
func goBuildCommand(t *testing.T, ins []instruction) string {
	t.Helper()
	for _, in := range ins {
		if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
			continue
		}
		args := in.args
		for strings.HasPrefix(args, "--") {
			_, args, _ = strings.Cut(args, " ")
		}
		return args
	}
	t.Fatal("Dockerfile has no RUN with go build")
	return ""
}

func TestDockerfileBuildCommand(t *testing.T) {
	if os.Getenv("FOLIO_TEST_DOCKER_BUILD") != "1" {
		t.Skip("set FOLIO_TEST_DOCKER_BUILD=1 to run the Dockerfile's go build (a static cgo build, about a minute cold)")
	}
	cmdline := goBuildCommand(t, parseDockerfile(t, "Dockerfile"))
	out := filepath.Join(t.TempDir(), "folio")
	if !strings.Contains(cmdline, "-o /out/folio ") {
		t.Fatalf("build command %q does not write /out/folio", cmdline)
	}
	cmdline = strings.Replace(cmdline, "-o /out/folio ", "-o "+out+" ", 1)
	build := exec.Command("sh", "-c", cmdline)
	build.Env = append(os.Environ(), "VERSION=dockerfile-test", "GOFLAGS=")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	} else if regexp.MustCompile(`(?i)warning`).Match(b) {
		t.Errorf("static build warns (the binary may need the build's glibc at run time):\n%s", b)
	}

	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
	v, err := exec.Command(out, "version").Output()
	if err != nil || !strings.HasPrefix(string(v), "folio dockerfile-test ") {
		t.Errorf("static binary version = %q, %v", v, err)
	}
}
