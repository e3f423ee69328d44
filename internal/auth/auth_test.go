package auth

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/database/dbtest"
)

var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func openDB(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := database.Open(t.Context(), database.Options{Path: dbtest.Location(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	if _, err := database.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestModelsRoundTrip writes each model through GORM into the migrated schema and reads it
// back, so that the SQL and the structs cannot drift apart.
func TestModelsRoundTrip(t *testing.T) {
	db := openDB(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	later := now.Add(time.Hour)
	u := User{ID: "u1", Email: "a@example.com", Name: "A", Role: RoleEditor, Active: true, PasswordHash: "h", Version: 3, CreatedAt: now, UpdatedAt: later}
	sess := Session{ID: "s1", UserID: "u1", CreatedAt: now, ExpiresAt: later, RevokedAt: &later, RevokedBecause: "test"}
	rt := refreshToken{Hash: "abc", SessionID: "s1", CreatedAt: now, ExpiresAt: later, UsedAt: &now}
	lf := loginFailure{Key: "account:a@example.com", FailedAt: now}
	for _, m := range []any{&u, &sess, &rt, &lf} {
		if err := db.Create(m).Error; err != nil {
			t.Fatalf("create %T: %v", m, err)
		}
	}
	var u2 User
	var sess2 Session
	var rt2 refreshToken
	var lf2 loginFailure
	db.Take(&u2, "id = ?", "u1")
	db.Take(&sess2, "id = ?", "s1")
	db.Take(&rt2, "hash = ?", "abc")
	db.Take(&lf2, "id = ?", lf.ID)
	for _, pair := range [][2]any{{u, u2}, {sess, sess2}, {rt, rt2}, {lf, lf2}} {
		if diff := cmp.Diff(pair[0], pair[1], cmp.AllowUnexported(refreshToken{}, loginFailure{})); diff != "" {
			t.Errorf("%T round trip (-wrote +read):\n%s", pair[0], diff)
		}
	}
}

func TestPasswordHashing(t *testing.T) {
	h := newHasher(cheap, 1)
	ctx := context.Background()
	enc, err := h.hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q, want the PHC form with its parameters", enc)
	}
	if again, _ := h.hash(ctx, "correct horse"); again == enc {
		t.Error("two hashes of one password are equal: no salt?")
	}
	for _, tt := range []struct {
		password string
		match    bool
	}{{"correct horse", true}, {"correct hors", false}, {"Correct horse", false}, {"", false}} {
		match, stale, err := h.verify(ctx, tt.password, enc)
		if err != nil || match != tt.match || stale {
			t.Errorf("verify(%q) = %v, %v, %v; want %v, not stale", tt.password, match, stale, err, tt.match)
		}
	}
	if _, stale, _ := newHasher(Params{Memory: 128, Time: 1, Threads: 1}, 1).verify(ctx, "correct horse", enc); !stale {
		t.Error("a hash made with lower parameters is not reported stale")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "plaintext"} {
		if _, _, err := h.verify(ctx, "x", bad); err == nil {
			t.Errorf("verify against %q: no error", bad)
		}
	}
}

func TestLoginRehashesWithRaisedParameters(t *testing.T) {
	db := openDB(t)
	keys := NewKeys([]byte(strings.Repeat("k", 32)))
	old := NewStore(db, Options{Keys: keys, Params: cheap})
	u, err := old.CreateUser(t.Context(), NewUser{Email: "a@example.com", Name: "A", Role: RoleAuthor, Password: "password 123"})
	if err != nil {
		t.Fatal(err)
	}
	raised := Params{Memory: 128, Time: 2, Threads: 1}
	s := NewStore(db, Options{Keys: keys, Params: raised})
	if _, err := s.Login(t.Context(), "a@example.com", "password 123", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	after, _ := s.FindUser(t.Context(), u.ID)
	if !strings.HasPrefix(after.PasswordHash, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Errorf("hash after login = %q, want it re-made with the raised parameters", after.PasswordHash)
	}
	if _, err := s.Login(t.Context(), "a@example.com", "password 123", "192.0.2.1"); err != nil {
		t.Errorf("login with the re-hashed password: %v", err)
	}
}

func TestLoadKeys(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	now := time.Now()

	generated, err := LoadKeys(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadKeys(ctx, db, nil)
	if err != nil || again.KeyID() != generated.KeyID() {
		t.Fatalf("second LoadKeys = %v, %v; want the stored key %s", again, err, generated.KeyID())
	}
	oldToken, _ := generated.sign("u", "s", now, time.Minute)

	if _, err := again.parse(oldToken, now); err != nil {
		t.Errorf("token of the generated key after a restart: %v", err)
	}

	// Configuring a secret: it signs from now on, and the generated key is gone, from the
	// database (and so from backups) too.
	secret := []byte(strings.Repeat("n", 32))
	configured, err := LoadKeys(ctx, db, secret)
	if err != nil {
		t.Fatal(err)
	}
	if configured.KeyID() != keyID(secret) {
		t.Errorf("configured kid = %s, want %s", configured.KeyID(), keyID(secret))
	}
	if _, err := configured.parse(oldToken, now); err == nil {
		t.Error("a token of the generated key still verifies after a secret was configured")
	}
	var n int64
	db.Raw("SELECT count(*) FROM settings WHERE key = ?", generatedKeySetting).Scan(&n)
	if n != 0 {
		t.Error("the generated key is still stored after a secret was configured")
	}

	// Rotating the configured secret: the previous one still verifies, when listed.
	secretToken, _ := configured.sign("u", "s", now, time.Minute)
	rotated := NewKeys([]byte(strings.Repeat("r", 32)), secret)
	if _, err := rotated.parse(secretToken, now); err != nil {
		t.Errorf("token of the previous secret: %v", err)
	}
	if _, err := NewKeys([]byte(strings.Repeat("r", 32))).parse(secretToken, now); err == nil {
		t.Error("token of a retired secret verified without it listed")
	}
}

// TestLoginTimingDoesNotRevealAccounts compares, with production parameters, how long a login
// takes for an unknown email and for a known one with the wrong password.
func TestLoginTimingDoesNotRevealAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes with production parameters")
	}
	db := openDB(t)
	s := NewStore(db, Options{Keys: NewKeys([]byte(strings.Repeat("k", 32))), Params: DefaultParams})
	if _, err := s.CreateUser(t.Context(), NewUser{Email: "a@example.com", Name: "A", Role: RoleAuthor, Password: "password 123"}); err != nil {
		t.Fatal(err)
	}
	s.verifyDummy(t.Context(), "warm up")
	var unknown, wrong []time.Duration
	for i := range 5 {
		// A fresh address each time: throttling is not what this measures.
		addr := "192.0.2." + string(rune('1'+i))
		start := time.Now()
		s.Login(t.Context(), "nobody@example.com", "password 123", addr)
		unknown = append(unknown, time.Since(start))
		start = time.Now()
		s.Login(t.Context(), "a@example.com", "password 999", addr+"0")
		wrong = append(wrong, time.Since(start))
	}
	slices.Sort(unknown)
	slices.Sort(wrong)
	ratio := float64(unknown[2]) / float64(wrong[2])
	t.Logf("median login: unknown email %v, wrong password %v (ratio %.2f)", unknown[2], wrong[2], ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Errorf("unknown email takes %.2f times as long as a wrong password; want comparable", ratio)
	}
}

// BenchmarkHash measures one argon2id hash at the default parameters: the cost of a login.
//
//	go test -tags sqlite_fts5 -run '^$' -bench Hash -benchtime 20x ./internal/auth
func BenchmarkHash(b *testing.B) {
	h := newHasher(DefaultParams, 1)
	for b.Loop() {
		if _, err := h.hash(context.Background(), "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDummyHashSurvivesACancelledRequest: the first unknown-email login builds the dummy hash;
// if its client has gone, the hash must still be made, or every later unknown email would be
// answered faster than a wrong password.
func TestDummyHashSurvivesACancelledRequest(t *testing.T) {
	s := NewStore(openDB(t), Options{Keys: NewKeys([]byte(strings.Repeat("k", 32))), Params: cheap})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s.verifyDummy(ctx, "whatever")
	if !strings.HasPrefix(s.dummyHash, "$argon2id$") {
		t.Errorf("dummy hash after a cancelled first use = %q", s.dummyHash)
	}
}
