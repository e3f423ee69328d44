package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Password length limits, in bytes. The upper bound keeps one hash from costing more than
// another: argon2id reads the whole password.
const (
	MinPassword = 10
	MaxPassword = 256
)

// Params are argon2id's cost parameters. They are stored with every hash (in the PHC string
// format), so raising them later re-hashes each password at its owner's next login.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultParams are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 thread): about 33 ms a
// hash on a 2-core 2026 server (measured with BenchmarkHash).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// hasher hashes and verifies passwords at its parameters, at most a few at a time: each hash
// holds Params.Memory of RAM, so a burst of logins must queue rather than exhaust memory.
type hasher struct {
	params Params
	slots  chan struct{}
}

func newHasher(p Params, concurrency int) *hasher {
	return &hasher{params: p, slots: make(chan struct{}, max(1, concurrency))}
}

// maxHashWait bounds how long a request waits for a hashing slot: beyond it, a burst of logins
// is answered with ErrBusy rather than queued without end.
const maxHashWait = 5 * time.Second

func (h *hasher) acquire(ctx context.Context) error {
	timer := time.NewTimer(maxHashWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.slots }

// hash returns the PHC string of password: $argon2id$v=19$m=…,t=…,p=…$salt$key.
func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var b64 = base64.RawStdEncoding

var errBadHash = errors.New("malformed password hash")

// verify reports whether password matches encoded, and whether encoded was made with other
// parameters than the hasher's (so it should be re-hashed now that the password is known).
func (h *hasher) verify(ctx context.Context, password, encoded string) (match, stale bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, p != h.params, nil
}

func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// GeneratePassword returns a random password for first admins and accounts created without
// one: 26 characters of base32, 130 bits.
func GeneratePassword() string { return rand.Text() }
