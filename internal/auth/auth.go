// Package auth provides Folio's accounts: users and their roles, passwords (argon2id), logins
// with short-lived JWT access tokens and rotating refresh tokens, and login throttling. All of
// its state lives in the database, so restarts and every process serving it agree.
package auth

import (
	"cmp"
	"errors"
	"fmt"
	"net/mail"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/changes"
)

// Role is what a user may do; see Role.AtLeast.
type Role string

// The roles, from least to most trusted.
const (
	RoleAuthor Role = "author"
	RoleEditor Role = "editor"
	RoleAdmin  Role = "admin"
)

var roleRank = map[Role]int{RoleAuthor: 1, RoleEditor: 2, RoleAdmin: 3}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return roleRank[r] > 0 }

// AtLeast reports whether r may do what min may: an admin may do what an editor may, who may do
// what an author may.
func (r Role) AtLeast(min Role) bool { return roleRank[r] >= roleRank[min] && r.Valid() }

// User is an account.
type User struct {
	ID           string
	Email        string
	Name         string
	Role         Role
	Active       bool
	PasswordHash string
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Session is one login: the family of refresh tokens issued from it, and the sid of its access
// tokens.
type Session struct {
	ID             string
	UserID         string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	RevokedAt      *time.Time
	RevokedBecause string
}

// refreshToken is the stored form of a refresh token: its hash, never the token.
type refreshToken struct {
	Hash      string `gorm:"primaryKey"`
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Principal is the authenticated caller of a request.
type Principal struct {
	User      User
	SessionID string
}

// Errors of this package; the HTTP edge maps each to a status.
var (
	ErrNotFound           = errors.New("not found")
	ErrInvalidCredentials = errors.New("invalid email or password")
	ErrEmailTaken         = errors.New("a user with this email exists")
	ErrLastAdmin          = errors.New("the last active admin must stay an active admin")
	ErrStale              = errors.New("the user has changed since the version given")
	ErrHasContent         = errors.New("the user has authored content")
	// ErrBusy is returned when password hashing is saturated: too many logins at once.
	ErrBusy = errors.New("too many password checks at once; try again shortly")
)

// ThrottledError is returned while logins for an account or from an address are refused after
// too many failures.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed logins; retry after %v", e.RetryAfter.Round(time.Second))
}

// Options configure a Store.
type Options struct {
	Keys       *Keys
	AccessTTL  time.Duration    // lifetime of access tokens
	RefreshTTL time.Duration    // lifetime of refresh tokens (each use issues a new one)
	Params     Params           // argon2id parameters for new hashes
	Now        func() time.Time // the clock; time.Now when nil
	// Changes is told when a user's name changes: items show their author's name. May be nil.
	Changes *changes.Generation
}

// Default token lifetimes.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// Store is the accounts domain on GORM.
type Store struct {
	db         *gorm.DB
	keys       *Keys
	hasher     *hasher
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
	changes    *changes.Generation

	dummyOnce sync.Once
	dummyHash string // verified for unknown emails, so they cost what a wrong password costs
}

// NewStore returns a Store on db.
func NewStore(db *gorm.DB, opts Options) *Store {
	s := &Store{
		db:         db,
		keys:       opts.Keys,
		hasher:     newHasher(opts.Params, 2*runtime.GOMAXPROCS(0)),
		accessTTL:  cmp.Or(opts.AccessTTL, DefaultAccessTTL),
		refreshTTL: cmp.Or(opts.RefreshTTL, DefaultRefreshTTL),
		now:        opts.Now,
		changes:    opts.Changes,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.hasher.params == (Params{}) {
		s.hasher.params = DefaultParams
	}
	return s
}

// clock returns the current time in UTC, the only zone the database holds, at the microsecond
// precision that PostgreSQL keeps (it would round the rest; SQLite would keep it), so that a
// time written and read back is the same time on both.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NormalizeEmail returns the form in which an email address is stored and compared: NFKC
// normalized (so that look-alike spellings of one address are one account), trimmed and
// lower-cased.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFKC.String(email)))
}

// checkEmail reports what is wrong with a normalized email address, or "".
func checkEmail(email string) string {
	if len(email) > 254 {
		return "must be at most 254 characters"
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "must be an email address such as name@example.com"
	}
	return ""
}

// checkName reports what is wrong with a user's name, or "".
func checkName(name string) string {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 1 || n > 100 {
		return "must be 1 to 100 characters"
	}
	return ""
}

// checkPassword reports what is wrong with a new password, or "".
func checkPassword(p string) string {
	if len(p) < MinPassword || len(p) > MaxPassword {
		return fmt.Sprintf("must be %d to %d bytes long", MinPassword, MaxPassword)
	}
	return ""
}
