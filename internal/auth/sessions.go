package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/validation"
)

// Tokens are what a login or a refresh returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration // of the access token
}

// Login checks an email and password and starts a session. Every failure is
// ErrInvalidCredentials, whether the email is unknown, the password wrong or the account
// inactive, and costs about the same time, so that responses do not reveal which accounts
// exist. After too many failures for the account or from the client's address it returns a
// *ThrottledError instead, even for the right password.
func (s *Store) Login(ctx context.Context, email, password, clientIP string) (Tokens, error) {
	email = NormalizeEmail(email)
	try, err := s.reserve(ctx, email, clientIP)
	if err != nil {
		return Tokens{}, err
	}

	u, err := s.FindUserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && len(password) > MaxPassword) {
		s.verifyDummy(ctx, password) // spend what a real verification costs
		return Tokens{}, ErrInvalidCredentials
	}
	if err != nil {
		return Tokens{}, err
	}
	match, stale, err := s.hasher.verify(ctx, password, u.PasswordHash)
	if err != nil {
		return Tokens{}, wrapDomain(err, "verify password of user "+u.ID)
	}
	if !match || !u.Active {
		return Tokens{}, ErrInvalidCredentials
	}

	var rehash string
	if stale {
		// The parameters were raised since this hash was made: upgrade it while the password
		// is at hand. Hashing happens outside the transaction, which holds the only writer.
		if rehash, err = s.hasher.hash(ctx, password); err != nil {
			return Tokens{}, wrapDomain(err, "rehash password")
		}
	}
	var tokens Tokens
	err = database.Write(ctx, s.db, func(tx *gorm.DB) error {
		now := s.clock()
		// The password was checked against the hash read before hashing, which can take a
		// while: if it has changed since (a reset) or the user was deactivated, the check no
		// longer stands.
		if err := requireUnchanged(tx, u.ID, u.PasswordHash); err != nil {
			return err
		}
		if err := try.succeeded(tx); err != nil {
			return err
		}
		if rehash != "" {
			if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("password_hash", rehash).Error; err != nil {
				return err
			}
		}
		if err := s.purge(tx, u.ID, now); err != nil {
			return err
		}
		sid, err := uuid.NewV7()
		if err != nil {
			return err
		}
		sess := Session{ID: sid.String(), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL)}
		if err := tx.Create(&sess).Error; err != nil {
			return err
		}
		tokens, err = s.issue(tx, &sess, now)
		return err
	})
	if err != nil {
		return Tokens{}, wrapDomain(err, "log in user "+u.ID)
	}
	return tokens, nil
}

// requireUnchanged fails with ErrInvalidCredentials unless the user is active and still has
// the password hash that was verified.
func requireUnchanged(tx *gorm.DB, userID, verifiedHash string) error {
	var n int64
	err := tx.Model(&User{}).Where("id = ? AND password_hash = ? AND active = ?", userID, verifiedHash, true).Count(&n).Error
	if err != nil {
		return err
	}
	if n != 1 {
		return ErrInvalidCredentials
	}
	return nil
}

// purge forgets what can no longer be used, so that the tables do not grow without end: the
// user's revoked sessions, and everyone's expired sessions and refresh tokens (an expired
// token is refused whether or not it is stored). Logins are frequent enough to keep up.
func (s *Store) purge(tx *gorm.DB, userID string, now time.Time) error {
	if err := tx.Where("user_id = ? AND revoked_at IS NOT NULL", userID).Delete(&Session{}).Error; err != nil {
		return err
	}
	if err := tx.Where("expires_at < ?", now).Delete(&Session{}).Error; err != nil {
		return err
	}
	return tx.Where("expires_at < ?", now).Delete(&refreshToken{}).Error
}

// verifyDummy verifies password against a hash of nothing in particular. The hash is made
// once, detached from any request, so that no request can leave it unmade (which would make
// unknown emails measurably faster from then on).
func (s *Store) verifyDummy(ctx context.Context, password string) {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = s.hasher.hash(context.WithoutCancel(ctx), GeneratePassword())
	})
	_, _, _ = s.hasher.verify(ctx, password, s.dummyHash)
}

// MaxSessionAge bounds a session however often it is refreshed: after it, its owner logs in
// again.
const MaxSessionAge = 90 * 24 * time.Hour

// issue stores a new refresh token for the session, moves the session's expiry to the token's,
// and signs an access token. A refresh token lives RefreshTTL, but not past the session's
// maximum age.
func (s *Store) issue(tx *gorm.DB, sess *Session, now time.Time) (Tokens, error) {
	refresh, hash, err := newRefreshToken()
	if err != nil {
		return Tokens{}, err
	}
	expires := now.Add(s.refreshTTL)
	if limit := sess.CreatedAt.Add(MaxSessionAge); expires.After(limit) {
		expires = limit
	}
	if err := tx.Create(&refreshToken{Hash: hash, SessionID: sess.ID, CreatedAt: now, ExpiresAt: expires}).Error; err != nil {
		return Tokens{}, err
	}
	if err := tx.Model(&Session{}).Where("id = ?", sess.ID).Update("expires_at", expires).Error; err != nil {
		return Tokens{}, err
	}
	access, err := s.keys.sign(sess.UserID, sess.ID, now, s.accessTTL)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: s.accessTTL}, nil
}

// Refresh exchanges a refresh token for new tokens. Each refresh token works once: presenting
// one that was already exchanged means it was copied, so the whole session is revoked, the
// newer refresh token and access tokens included, and the caller gets ErrInvalidToken.
func (s *Store) Refresh(ctx context.Context, token string) (Tokens, error) {
	var tokens Tokens
	reused := false
	err := database.Write(ctx, s.db, func(tx *gorm.DB) error {
		now := s.clock()
		var rt refreshToken
		if err := tx.Where("hash = ?", hashRefreshToken(token)).Take(&rt).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrInvalidToken
			}
			return err
		}
		if rt.UsedAt != nil {
			// Commit the revocation (return nil) and refuse the token after the transaction:
			// returning an error here would roll the revocation back.
			reused = true
			return revokeSession(tx, rt.SessionID, "refresh token reused", now)
		}
		var row struct {
			Session
			Active bool
		}
		err := tx.Raw(`SELECT s.*, u.active FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, rt.SessionID).
			Scan(&row).Error
		if err != nil {
			return err
		}
		if row.ID == "" || row.RevokedAt != nil || !row.Active || !now.Before(rt.ExpiresAt) {
			return ErrInvalidToken
		}
		// On SQLite the single writer already serializes refreshes; the condition keeps two
		// processes racing with one token correct on a database that runs them side by side.
		res := tx.Model(&refreshToken{}).Where("hash = ? AND used_at IS NULL", rt.Hash).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			reused = true
			return revokeSession(tx, rt.SessionID, "refresh token reused", now)
		}
		tokens, err = s.issue(tx, &row.Session, now)
		return err
	})
	if err != nil {
		return Tokens{}, wrapDomain(err, "refresh")
	}
	if reused {
		return Tokens{}, ErrInvalidToken
	}
	return tokens, nil
}

// Logout ends the session of a refresh token: its refresh tokens and its access tokens stop
// working. An unknown token is not an error: the session it named is over either way.
func (s *Store) Logout(ctx context.Context, token string) error {
	err := database.Write(ctx, s.db, func(tx *gorm.DB) error {
		var rt refreshToken
		err := tx.Where("hash = ?", hashRefreshToken(token)).Take(&rt).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return revokeSession(tx, rt.SessionID, "logged out", s.clock())
	})
	return wrapDomain(err, "log out")
}

// Authenticate verifies an access token and returns who presented it. Beyond the token's own
// checks, the session must be live and the user active, read in one indexed lookup per
// request, so that logging out, revoking, deactivating or deleting take effect at once rather
// than when tokens expire.
func (s *Store) Authenticate(ctx context.Context, accessToken string) (*Principal, error) {
	c, err := s.keys.parse(accessToken, s.clock())
	if err != nil {
		return nil, err
	}
	var u User
	err = s.db.WithContext(ctx).
		Raw(`SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
		     WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND u.active = ?`, c.SessionID, c.Subject, true).
		Scan(&u).Error
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if u.ID == "" {
		return nil, ErrInvalidToken
	}
	return &Principal{User: u, SessionID: c.SessionID}, nil
}

// ChangePassword sets a user's own password after checking their current one, and ends their
// other sessions; the session that asked stays. A wrong current password counts as a failed
// login for the account, so a stolen access token cannot be used to guess the password.
func (s *Store) ChangePassword(ctx context.Context, p *Principal, current, next, clientIP string) error {
	try, err := s.reserve(ctx, p.User.Email, clientIP)
	if err != nil {
		return err
	}
	match, _, err := s.hasher.verify(ctx, current, p.User.PasswordHash)
	if err != nil {
		return wrapDomain(err, "verify password of user "+p.User.ID)
	}
	if !match {
		return validation.Field("current_password", "is not the current password")
	}
	if msg := checkPassword(next); msg != "" {
		return validation.Field("new_password", "%s", msg)
	}
	hash, err := s.hasher.hash(ctx, next)
	if err != nil {
		return wrapDomain(err, "hash password")
	}
	err = database.Write(ctx, s.db, func(tx *gorm.DB) error {
		now := s.clock()
		// Both checks were made on what was read when the request began: the session must still
		// be live, and the password still the one verified.
		var live int64
		if err := tx.Model(&Session{}).Where("id = ? AND revoked_at IS NULL", p.SessionID).Count(&live).Error; err != nil {
			return err
		}
		if live != 1 {
			return ErrInvalidToken
		}
		res := tx.Model(&User{}).Where("id = ? AND password_hash = ?", p.User.ID, p.User.PasswordHash).
			Updates(map[string]any{"password_hash": hash, "version": gorm.Expr("version + 1"), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return validation.Field("current_password", "is not the current password")
		}
		if err := try.succeeded(tx); err != nil {
			return err
		}
		return revokeSessions(tx, p.User.ID, p.SessionID, "password changed", now)
	})
	return wrapDomain(err, "change password of user "+p.User.ID)
}

// revokeSession revokes one session, if it is live.
func revokeSession(tx *gorm.DB, id, because string, now time.Time) error {
	return tx.Model(&Session{}).Where("id = ? AND revoked_at IS NULL", id).
		Updates(map[string]any{"revoked_at": now, "revoked_because": because}).Error
}

// revokeSessions revokes every live session of a user but keep (which may be "").
func revokeSessions(tx *gorm.DB, userID, keep, because string, now time.Time) error {
	return tx.Model(&Session{}).Where("user_id = ? AND id != ? AND revoked_at IS NULL", userID, keep).
		Updates(map[string]any{"revoked_at": now, "revoked_because": because}).Error
}
