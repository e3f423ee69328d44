package auth

import (
	"context"
	"fmt"
	"net"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database"
)

// Login throttling: after MaxFailures failed attempts within FailureWindow for an account, or
// from an address, further attempts are refused until the oldest of those failures leaves the
// window. The counts live in the database, so they hold across restarts and processes.
//
// Every attempt is counted as a failure before its password is checked (reserve), in the same
// write transaction that checks the count, and the count is taken back when the password turns
// out right. So attempts sent in parallel cannot all pass the check while their passwords are
// still being hashed: the limit holds exactly however the guesses are timed.
const (
	MaxFailures   = 5
	FailureWindow = 15 * time.Minute
)

type loginFailure struct {
	ID       int64
	Key      string
	FailedAt time.Time
}

// attempt is a reserved attempt: its rows in login_failures, deleted if it succeeds.
type attempt struct {
	ids        []int64
	accountKey string
}

// throttleKeys returns the keys an attempt counts against: the account (the normalized email,
// whether or not a user has it, so that the count reveals nothing about which accounts exist)
// and the client's address (an IPv6 address by its /64, the block one client usually holds).
func throttleKeys(email, clientIP string) (account, address string) {
	if ip := net.ParseIP(clientIP); ip != nil && ip.To4() == nil {
		clientIP = ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return "account:" + email, "address:" + clientIP
}

// reserve counts an attempt against the account of email and the client's address, or returns
// a *ThrottledError when either already has MaxFailures failures in the window.
func (s *Store) reserve(ctx context.Context, email, clientIP string) (*attempt, error) {
	accountKey, addressKey := throttleKeys(email, clientIP)
	a := &attempt{accountKey: accountKey}
	err := database.Write(ctx, s.db, func(tx *gorm.DB) error {
		now := s.clock()
		// Failures that left the window count for nothing: drop them as new ones arrive.
		if err := tx.Where("failed_at <= ?", now.Add(-FailureWindow)).Delete(&loginFailure{}).Error; err != nil {
			return err
		}
		var retry time.Duration
		for _, key := range []string{accountKey, addressKey} {
			// The MaxFailures-th most recent failure: while it is in the window, the limit is reached.
			var f loginFailure
			err := tx.Where("key = ?", key).Order("failed_at DESC").Offset(MaxFailures - 1).Limit(1).Find(&f).Error
			if err != nil {
				return err
			}
			if f.ID != 0 {
				retry = max(retry, f.FailedAt.Add(FailureWindow).Sub(now))
			}
		}
		if retry > 0 {
			return &ThrottledError{RetryAfter: retry}
		}
		for _, key := range []string{accountKey, addressKey} {
			f := loginFailure{Key: key, FailedAt: now}
			if err := tx.Create(&f).Error; err != nil {
				return err
			}
			a.ids = append(a.ids, f.ID)
		}
		return nil
	})
	if err != nil {
		return nil, wrapDomain(err, "check login throttle")
	}
	return a, nil
}

// succeeded takes back a reserved attempt that turned out right, inside the transaction that
// acts on it, and clears the account's failures: the owner has proved they know the password.
// The address's other failures stay, so that one right password does not reset a guesser's
// count for other accounts.
func (a *attempt) succeeded(tx *gorm.DB) error {
	if err := tx.Where("id IN ?", a.ids).Delete(&loginFailure{}).Error; err != nil {
		return fmt.Errorf("take back login attempt: %w", err)
	}
	return clearFailures(tx, a.accountKey)
}

// clearFailures forgets an account's failures.
func clearFailures(tx *gorm.DB, accountKey string) error {
	return tx.Where("key = ?", accountKey).Delete(&loginFailure{}).Error
}
