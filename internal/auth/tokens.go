package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Access token claims that are fixed for every Folio token.
const (
	Issuer   = "folio"
	Audience = "folio-api"
	// tokenType is the JWT typ header (RFC 9068's at+jwt), so that no other JWT signed with the
	// same key, should one ever exist, can pass for an access token (RFC 8725 §3.11).
	tokenType = "at+jwt"
	// Leeway tolerates clock skew between the processes that sign and verify.
	Leeway = 30 * time.Second
	// maxTokenLen bounds what is handed to the JWT parser.
	maxTokenLen = 4096
)

// ErrInvalidToken is returned for every access or refresh token that is not accepted, whatever
// the reason: a client learns only that it must log in again.
var ErrInvalidToken = errors.New("invalid or expired token")

// claims are the access token's payload: iss, aud, sub (the user id), sid (the session id),
// iat, exp and a random jti (so that no two tokens are alike, even within one second). The role is not in it: it is read from the database on every request, so a
// change applies at once.
type claims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
}

// Keys signs access tokens with the current key and verifies them with any known key, each
// named by its kid. Introducing a new key while the old one stays known lets tokens signed
// before the change live out their lifetime.
type Keys struct {
	currentID string
	byID      map[string][]byte
}

// keyID derives a key's kid from the key itself, so every process names the same key the same
// way without coordination, and the kid reveals nothing usable about the key.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("folio-kid:"), key...))
	return hex.EncodeToString(sum[:8])
}

// NewKeys returns a key set that signs with current and also verifies with previous.
func NewKeys(current []byte, previous ...[]byte) *Keys {
	k := &Keys{currentID: keyID(current), byID: map[string][]byte{}}
	for _, p := range append(previous, current) {
		k.byID[keyID(p)] = p
	}
	return k
}

// KeyID is the kid of the signing key.
func (k *Keys) KeyID() string { return k.currentID }

const generatedKeySetting = "jwt_signing_key"

// LoadKeys returns the key set of this database: the configured secret (and the retired
// previous ones, still accepted for verification during a rotation), or else the key generated
// on first start and stored in the settings table, so that restarts and every process serving
// the database agree.
//
// Once a secret is configured, the generated key is deleted: it sits in every backup of the
// database, which is often why an operator configures a secret. Access tokens it signed stop
// working at once; clients get new ones with their refresh tokens, which do not depend on it.
func LoadKeys(ctx context.Context, db *gorm.DB, configured []byte, previous ...[]byte) (*Keys, error) {
	q := db.WithContext(ctx)
	if len(configured) > 0 {
		if err := q.Exec("DELETE FROM settings WHERE key = ?", generatedKeySetting).Error; err != nil {
			return nil, fmt.Errorf("retire the generated signing key: %w", err)
		}
		return NewKeys(configured, previous...), nil
	}
	var stored string
	if err := q.Raw("SELECT value FROM settings WHERE key = ?", generatedKeySetting).Scan(&stored).Error; err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	if stored == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		// When several processes start at once, the first insert wins and all read it back.
		err := q.Clauses(clause.OnConflict{DoNothing: true}).Table("settings").Create(map[string]any{
			"key": generatedKeySetting, "value": base64.StdEncoding.EncodeToString(key), "updated_at": time.Now().UTC(),
		}).Error
		if err == nil {
			err = q.Raw("SELECT value FROM settings WHERE key = ?", generatedKeySetting).Scan(&stored).Error
		}
		if err != nil {
			return nil, fmt.Errorf("store signing key: %w", err)
		}
	}
	generated, err := base64.StdEncoding.DecodeString(stored)
	if err != nil || len(generated) < 32 {
		return nil, errors.New("load signing key: the stored key is malformed")
	}
	return NewKeys(generated, previous...), nil
}

// sign returns an access token for the user and session, valid for ttl from now.
func (k *Keys) sign(userID, sessionID string, now time.Time, ttl time.Duration) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        rand.Text(),
		},
		SessionID: sessionID,
	})
	t.Header["kid"] = k.currentID
	t.Header["typ"] = tokenType
	return t.SignedString(k.byID[k.currentID])
}

// parse verifies an access token and returns its claims. Everything is checked: the algorithm
// (HS256 only, so neither "none" nor an RS256 public key posing as an HMAC secret gets through),
// the signature with the key its kid names, typ, iss, aud, exp (required), nbf and iat, with at
// most Leeway of clock skew. Claims of a token that fails any check are never looked at.
func (k *Keys) parse(token string, now time.Time) (*claims, error) {
	if len(token) > maxTokenLen {
		return nil, ErrInvalidToken
	}
	var c claims
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithStrictDecoding(),
	)
	t, err := p.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != tokenType {
			return nil, errors.New("wrong token type")
		}
		kid, _ := t.Header["kid"].(string)
		key, ok := k.byID[kid]
		if !ok {
			return nil, errors.New("unknown key")
		}
		return key, nil
	})
	if err != nil || !t.Valid || c.Subject == "" || c.SessionID == "" {
		return nil, ErrInvalidToken
	}
	return &c, nil
}

// newRefreshToken returns an opaque refresh token (256 random bits) and the hash under which it
// is stored; the token itself is never stored.
func newRefreshToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashRefreshToken(token), nil
}

func hashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
