package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/store"
)

func (a *app) newTokenAuth(st store.Store) *auth.Tokens {
	return &auth.Tokens{Store: st, Now: time.Now, Roles: &auth.Roles{Store: st, Admins: a.cfg.Admins}, CacheTTL: 5 * time.Second}
}

// audit records a write made from the command line on this host: the
// actor is the local account, the remote the host name.
func (a *app) audit(ctx context.Context, st store.Store, action, target, detail string) error {
	who := a.getenv("USER")
	if who == "" {
		who = "unknown"
	}
	host, _ := os.Hostname()
	return st.AuditInsert(ctx, &paved.AuditEntry{At: time.Now().UTC(), Actor: "local:" + who, Action: action, Target: target, Detail: detail, Remote: "cli@" + host})
}

func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (run on the paved host: it writes the database directly)",
	}
	var name, subject string
	var scopes []string
	var ttl time.Duration
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a token; its secret is printed once and only its hash is stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			for i, sc := range scopes {
				if sc != "*" {
					scopes[i] = catalog.NormalizeRef(sc, paved.KindComponent)
				}
			}
			secret, tok, err := (&auth.Tokens{Store: st, Now: time.Now}).Create(cmd.Context(), name, subject, ttl, scopes...)
			if err != nil {
				return err
			}
			if err := a.audit(cmd.Context(), st, "token.create", fmt.Sprintf("token %d", tok.ID), fmt.Sprintf("subject %s, scopes %v, expires %s", tok.Subject, tok.Scopes, tok.ExpiresAt.Format(time.RFC3339))); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"token": secret, "id": tok.ID, "subject": tok.Subject, "expires_at": tok.ExpiresAt})
			}
			fmt.Fprintln(a.stdout, secret)
			fmt.Fprintf(a.stderr, "token %d for %s, expires %s — store it now: it cannot be shown again\n", tok.ID, tok.Subject, tok.ExpiresAt.Format(time.RFC3339))
			return nil
		},
	}
	create.Flags().StringVar(&subject, "subject", "", "who the token acts as: user:NAME (a catalog user) or ci:NAME (a pipeline)")
	create.Flags().StringVar(&name, "name", "", "a label to recognise the token by")
	create.Flags().StringSliceVar(&scopes, "scope", nil, "for ci: tokens, a service the pipeline may act for (repeatable; '*' for every service)")
	create.Flags().DurationVar(&ttl, "ttl", 90*24*time.Hour, "lifetime (at most one year)")
	_ = create.MarkFlagRequired("subject")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			toks, err := st.TokenList(cmd.Context())
			if err != nil {
				return err
			}
			if a.output == "json" {
				if toks == nil {
					toks = []*paved.Token{}
				}
				return a.printJSON(toks)
			}
			t := newTable(a.stdout)
			t.row("ID", "NAME", "SUBJECT", "CREATED", "EXPIRES", "STATE")
			now := time.Now()
			for _, tok := range toks {
				state := "active"
				if tok.RevokedAt != nil {
					state = "revoked"
				} else if !now.Before(tok.ExpiresAt) {
					state = "expired"
				}
				t.row(tok.ID, tok.Name, tok.Subject, tok.CreatedAt.Format(time.DateOnly), tok.ExpiresAt.Format(time.DateOnly), state)
			}
			return t.flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("token id %q must be a number (see paved token list)", args[0])}
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			if err := (&auth.Tokens{Store: st, Now: time.Now}).Revoke(cmd.Context(), id); err != nil {
				return err
			}
			if err := a.audit(cmd.Context(), st, "token.revoke", fmt.Sprintf("token %d", id), ""); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "token %d revoked\n", id)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
