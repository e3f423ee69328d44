package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestRequestIDInEveryLine(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "info", "json").With("component", "test")
	ctx := WithRequestID(context.Background(), "req-1")
	log.InfoContext(ctx, "with id")
	log.Info("without id")
	log.DebugContext(ctx, "below the level")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (debug is below info):\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	if first["request_id"] != "req-1" || first["component"] != "test" {
		t.Errorf("first line = %v, want request_id req-1 and the logger's attributes", first)
	}
	if _, ok := second["request_id"]; ok {
		t.Errorf("second line = %v, want no request_id", second)
	}
}

func TestFormatDefaultsToJSONWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, "info", "").Info("hello")
	if !json.Valid(bytes.TrimSpace(buf.Bytes())) {
		t.Errorf("default format to a buffer = %q, want JSON", buf.String())
	}
	buf.Reset()
	New(&buf, "info", "text").Info("hello")
	if !strings.Contains(buf.String(), "msg=hello") {
		t.Errorf("text format = %q", buf.String())
	}
}
