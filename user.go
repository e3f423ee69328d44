package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/foliocms/folio/internal/auth"
)

// user manages accounts from the command line: the way in when nobody can log in.
func user(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "set-password") {
		return usageError("usage: folio user create --email E --role R [--name N] | folio user set-password --email E")
	}
	sub := args[0]
	var email, role, name string
	cfg, logger, err := setup("user "+sub, args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the user's `email`")
		if sub == "create" {
			fs.StringVar(&role, "role", "", "the user's `role`: admin, editor or author")
			fs.StringVar(&name, "name", "", "the user's `name` (default: the email's local part)")
		}
	})
	if err != nil {
		return err
	}
	if email == "" || (sub == "create" && role == "") || len(cfg.Args) > 0 {
		return usageError(fmt.Sprintf("usage: folio user %s --email E%s", sub, map[string]string{"create": " --role R [--name N]"}[sub]))
	}
	password, generated, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}

	o, err := openDatabase(ctx, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer o.close()
	accounts := o.accounts

	var u *auth.User
	switch sub {
	case "create":
		if name == "" {
			name, _, _ = strings.Cut(email, "@")
		}
		u, err = accounts.CreateUser(ctx, auth.NewUser{Email: email, Name: name, Role: auth.Role(role), Password: password})
	default:
		if u, err = accounts.FindUserByEmail(ctx, email); err == nil {
			u, err = accounts.UpdateUser(ctx, u.ID, nil, auth.UserChanges{Password: &password})
		}
	}
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("no user has the email %s", email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s (%s, id %s)\n", map[string]string{"create": "created", "set-password": "set the password of"}[sub], u.Email, u.Role, u.ID)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	return nil
}

// readPassword reads a password from stdin: without echo from a terminal, or the first line of
// a pipe. An empty answer means "generate one".
func readPassword(stdin io.Reader, stderr io.Writer) (password string, generated bool, err error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password (empty to generate one): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", false, err
		}
		password = string(b)
	} else if stdin != nil {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, err
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		return auth.GeneratePassword(), true, nil
	}
	return password, false, nil
}
