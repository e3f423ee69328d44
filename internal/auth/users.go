package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/validation"
)

// NewUser is what it takes to create a user.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

// CreateUser validates and creates a user.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	in.Email = NormalizeEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	verr := &validation.Error{}
	if msg := checkEmail(in.Email); msg != "" {
		verr.Add("email", "%s", msg)
	}
	if msg := checkName(in.Name); msg != "" {
		verr.Add("name", "%s", msg)
	}
	if !in.Role.Valid() {
		verr.Add("role", "must be admin, editor or author")
	}
	if msg := checkPassword(in.Password); msg != "" {
		verr.Add("password", "%s", msg)
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.hash(ctx, in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	u := &User{ID: id.String(), Email: in.Email, Name: in.Name, Role: in.Role, Active: true, PasswordHash: hash, Version: 1}
	// A write like any other, behind the write lock: one INSERT needs no other statement's
	// company, but on SQLite it waits for the lock all the same, and on PostgreSQL so it does.
	if err := database.Write(ctx, s.db, func(tx *gorm.DB) error { return tx.Create(u).Error }); err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, ErrEmailTaken
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// EnsureFirstAdmin creates an admin with email and password when the database has no user at
// all; with an empty password it generates one. It returns the password it used when it created
// the admin, and "" when users already existed.
func (s *Store) EnsureFirstAdmin(ctx context.Context, email, password string) (string, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	if password == "" {
		password = GeneratePassword()
	}
	_, err := s.CreateUser(ctx, NewUser{Email: email, Name: "Admin", Role: RoleAdmin, Password: password})
	if errors.Is(err, ErrEmailTaken) {
		return "", nil // another process created it first
	}
	if err != nil {
		return "", fmt.Errorf("create first admin: %w", err)
	}
	return password, nil
}

// FindUser returns the user with id.
func (s *Store) FindUser(ctx context.Context, id string) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find user %s: %w", id, err)
	}
	return &u, nil
}

// FindUserByEmail returns the user with email (compared normalized).
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find user by email: %w", err)
	}
	return &u, nil
}

// ListUsers returns up to limit users in the order they were created, starting after the user
// with id after (empty for the first page), and whether more follow.
func (s *Store) ListUsers(ctx context.Context, limit int, after string) ([]User, bool, error) {
	q := s.db.WithContext(ctx).Order("id").Limit(limit + 1)
	if after != "" {
		q = q.Where("id > ?", after) // ids are UUIDv7: they sort by creation time
	}
	var users []User
	if err := q.Find(&users).Error; err != nil {
		return nil, false, fmt.Errorf("list users: %w", err)
	}
	more := len(users) > limit
	return users[:min(len(users), limit)], more, nil
}

// UserChanges are the fields of a user to change; nil leaves a field as it is.
type UserChanges struct {
	Email    *string
	Name     *string
	Role     *Role
	Active   *bool
	Password *string
}

// UpdateUser applies changes to the user with id. When ifVersions is not empty, the user must
// still be at one of them (ErrStale otherwise). An update that would leave no active admin fails
// with ErrLastAdmin. Deactivating a user or setting their password ends all their sessions.
func (s *Store) UpdateUser(ctx context.Context, id string, ifVersions []int64, ch UserChanges) (*User, error) {
	verr := &validation.Error{}
	set := map[string]any{}
	if ch.Email != nil {
		email := NormalizeEmail(*ch.Email)
		if msg := checkEmail(email); msg != "" {
			verr.Add("email", "%s", msg)
		}
		set["email"] = email
	}
	if ch.Name != nil {
		if msg := checkName(*ch.Name); msg != "" {
			verr.Add("name", "%s", msg)
		}
		set["name"] = strings.TrimSpace(*ch.Name)
	}
	if ch.Role != nil {
		if !ch.Role.Valid() {
			verr.Add("role", "must be admin, editor or author")
		}
		set["role"] = *ch.Role
	}
	if ch.Active != nil {
		set["active"] = *ch.Active
	}
	if ch.Password != nil {
		if msg := checkPassword(*ch.Password); msg != "" {
			verr.Add("password", "%s", msg)
		}
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	// Hash before the transaction: it takes tens of milliseconds, and the transaction holds the
	// database's only writer.
	if ch.Password != nil {
		hash, err := s.hasher.hash(ctx, *ch.Password)
		if err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
		set["password_hash"] = hash
	}

	var (
		out User
		gen int64
	)
	err := database.Write(ctx, s.db, func(tx *gorm.DB) error {
		cur, err := lockUser(tx, id, ifVersions)
		if err != nil {
			return err
		}
		if len(set) == 0 {
			out = *cur
			return nil
		}
		if name, ok := set["name"]; ok && name != cur.Name {
			// Items show their author's name: public responses change with it.
			if gen, err = changes.Record(tx); err != nil {
				return err
			}
		}
		set["version"] = gorm.Expr("version + 1")
		set["updated_at"] = s.clock()
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(set).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrEmailTaken
			}
			return err
		}
		if err := requireActiveAdmin(tx); err != nil {
			return err
		}
		if ch.Password != nil {
			// A new password is a fresh start for the account's throttle too: this is how an
			// operator lets a locked-out user back in.
			if err := clearFailures(tx, "account:"+cur.Email); err != nil {
				return err
			}
		}
		if (ch.Active != nil && !*ch.Active) || ch.Password != nil {
			reason := "deactivated"
			if ch.Password != nil {
				reason = "password set by an admin"
			}
			if err := revokeSessions(tx, id, "", reason, s.clock()); err != nil {
				return err
			}
		}
		return tx.Where("id = ?", id).Take(&out).Error
	})
	if err != nil {
		return nil, wrapDomain(err, "update user "+id)
	}
	if gen != 0 {
		s.changes.Committed(gen)
	}
	return &out, nil
}

// DeleteUser deletes the user with id, and with it their sessions. The last active admin
// cannot be deleted (ErrLastAdmin), nor a user who authored content (ErrHasContent: deactivate
// them instead).
func (s *Store) DeleteUser(ctx context.Context, id string, ifVersions []int64) error {
	err := database.Write(ctx, s.db, func(tx *gorm.DB) error {
		if _, err := lockUser(tx, id, ifVersions); err != nil {
			return err
		}
		if err := tx.Where("id = ?", id).Delete(&User{}).Error; err != nil {
			if errors.Is(err, gorm.ErrForeignKeyViolated) {
				return ErrHasContent
			}
			return err
		}
		return requireActiveAdmin(tx)
	})
	return wrapDomain(err, "delete user "+id)
}

// lockUser reads the user inside a write transaction (which holds the database's writer, so
// nothing changes it before the transaction ends) and checks its version.
func lockUser(tx *gorm.DB, id string, ifVersions []int64) (*User, error) {
	var u User
	if err := tx.Where("id = ?", id).Take(&u).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if len(ifVersions) > 0 && !slices.Contains(ifVersions, u.Version) {
		return nil, ErrStale
	}
	return &u, nil
}

// requireActiveAdmin fails a change that left no active admin, so that someone can always
// manage the instance.
func requireActiveAdmin(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&User{}).Where("role = ? AND active = ?", RoleAdmin, true).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

// wrapDomain adds context to err; errors.Is still finds the package's errors inside.
func wrapDomain(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// FirstAdmin returns the oldest active admin: the author of content the system writes itself.
func (s *Store) FirstAdmin(ctx context.Context) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("role = ? AND active = ?", RoleAdmin, true).Order("id").Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &u, wrapDomain(err, "find the first admin")
}
