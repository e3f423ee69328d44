package auth

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Login throttling: after MaxFailures failed logins within FailureWindow for an account, or
// from an address, further attempts are refused until the oldest of those failures leaves the
// window. The counts live in the database, so they hold across restarts and processes.
//
// The check and the recording are separate statements around the password check, which must
// not run inside a write transaction (it takes tens of milliseconds and the transaction would
// hold the database's only writer). So a burst of concurrent attempts can exceed the limit by
// the attempts in flight; a sequential guesser cannot.
const (
	MaxFailures   = 5
	FailureWindow = 15 * time.Minute
)

type loginFailure struct {
	ID       int64
	Key      string
	FailedAt time.Time
}

// checkThrottle returns a *ThrottledError when any key has MaxFailures failures in the window.
func (s *Store) checkThrottle(ctx context.Context, keys ...string) error {
	now := s.clock()
	var retry time.Duration
	for _, key := range keys {
		// The MaxFailures-th most recent failure: while it is in the window, the limit is reached.
		var f loginFailure
		err := s.db.WithContext(ctx).Where("key = ? AND failed_at > ?", key, now.Add(-FailureWindow)).
			Order("failed_at DESC").Offset(MaxFailures - 1).Limit(1).Find(&f).Error
		if err != nil {
			return fmt.Errorf("check login throttle: %w", err)
		}
		if f.ID != 0 {
			retry = max(retry, f.FailedAt.Add(FailureWindow).Sub(now))
		}
	}
	if retry > 0 {
		return &ThrottledError{RetryAfter: retry}
	}
	return nil
}

// fail records a failed login against keys and returns ErrInvalidCredentials.
func (s *Store) fail(ctx context.Context, keys ...string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.clock()
		for _, key := range keys {
			// Failures that left the window count for nothing: drop them as new ones arrive.
			if err := tx.Where("key = ? AND failed_at <= ?", key, now.Add(-FailureWindow)).Delete(&loginFailure{}).Error; err != nil {
				return err
			}
			if err := tx.Create(&loginFailure{Key: key, FailedAt: now}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return ErrInvalidCredentials
}

// clearFailures forgets an account's failures after a successful login. The address's stay:
// one right password must not reset a guesser's count for the others.
func clearFailures(tx *gorm.DB, key string) error {
	return tx.Where("key = ?", key).Delete(&loginFailure{}).Error
}
