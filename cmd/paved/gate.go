package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/store"
)

// apiClient talks to a paved server's API: pipelines and people use it
// from anywhere, with a token.
type apiClient struct {
	base, token string
	http        *http.Client
}

// clientFlags adds --url and --token (PAVED_URL, PAVED_TOKEN) to cmd.
func (a *app) clientFlags(cmd *cobra.Command) func() *apiClient {
	var base, token string
	cmd.PersistentFlags().StringVar(&base, "url", "", "paved server URL (env PAVED_URL; default: http:// + the addr setting)")
	cmd.PersistentFlags().StringVar(&token, "token", "", "API token (env PAVED_TOKEN)")
	return func() *apiClient {
		if base == "" {
			base = a.getenv("PAVED_URL")
		}
		if base == "" {
			base = "http://" + a.cfg.Addr
		}
		if token == "" {
			token = a.getenv("PAVED_TOKEN")
		}
		return &apiClient{base: strings.TrimSuffix(base, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}
	}
}

// do sends a request and decodes the JSON answer into out; an API error
// comes back as a paved error with the server's message.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var raw []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		raw = b
	}
	return c.doRaw(ctx, method, path, "application/json", raw, out)
}

// doRaw is do with a body sent as it is (a YAML spec).
func (c *apiClient) doRaw(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach paved at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e paved.Error
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			return &e
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func (a *app) gateCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "gate", Short: "Ask the deploy gate, from a pipeline"}
	client := a.clientFlags(cmd)
	var req paved.DecisionRequest
	check := &cobra.Command{
		Use:   "check --service S --env E (--version V | --commit C)",
		Short: "May this service deploy now? Exit 0 allow, 1 deny, 2 error",
		Long: `Asks the paved server for a decision (POST /api/v1/gate/decisions) with the
token in --token or PAVED_TOKEN, prints the reasons, and exits 0 when the deploy
may go ahead, 1 when it is denied (the reasons say why and what would allow it:
a fix, a waiver or an approval), and 2 when no decision could be had.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var d paved.Decision
			if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/gate/decisions", &req, &d); err != nil {
				return exitError{code: exitUsage, msg: "no decision: " + paved.ErrorMessage(err)}
			}
			if a.output == "json" {
				if err := a.printJSON(d); err != nil {
					return err
				}
			} else {
				verdict := "DENY"
				if d.Allow {
					verdict = "ALLOW"
				}
				fmt.Fprintf(a.stdout, "%s %s %s to %s (decision %s)\n", verdict, d.Service, req.Target(), req.Environment, d.ID)
				for _, r := range d.Reasons {
					fmt.Fprintf(a.stdout, "  - %s\n", r)
				}
				for _, w := range d.WaiversApplied {
					fmt.Fprintf(a.stdout, "  waived: %s (waiver #%d until %s)\n", w.Check, w.WaiverID, w.ExpiresAt.Format(time.DateOnly))
				}
				for _, ra := range d.RequiredApprovals {
					fmt.Fprintf(a.stdout, "  approval #%d requested from %s: paved approval approve %d\n", ra.ApprovalID, ra.Approvers, ra.ApprovalID)
				}
			}
			if !d.Allow {
				return exitError{code: exitFail}
			}
			return nil
		},
	}
	check.Flags().StringVar(&req.Service, "service", "", "the service (name or ref)")
	check.Flags().StringVar(&req.Environment, "env", "", "the environment (as in the gate policy: production, staging…)")
	check.Flags().StringVar(&req.Version, "version", "", "the version deployed")
	check.Flags().StringVar(&req.Commit, "commit", "", "the commit deployed (when there is no version)")
	check.Flags().StringVar(&req.Requester, "requester", "", "who deploys, for the record (default: the token's subject)")
	_ = check.MarkFlagRequired("service")
	_ = check.MarkFlagRequired("env")
	cmd.AddCommand(check)
	return cmd
}

func (a *app) waiverCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "waiver", Short: "Request, approve, deny, revoke and list waivers of checks"}
	client := a.clientFlags(cmd)
	var req gate.WaiverRequest
	var days int
	request := &cobra.Command{
		Use:   "request --service S --check C --reason R --days N",
		Short: "Ask for a time-boxed exception to one check for one service (members of the owning team)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if days > 0 {
				req.ExpiresAt = time.Now().UTC().Add(time.Duration(days) * 24 * time.Hour)
			}
			var w paved.Waiver
			if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/waivers", &req, &w); err != nil {
				return err
			}
			return a.printWaivers([]*paved.Waiver{&w})
		},
	}
	request.Flags().StringVar(&req.Service, "service", "", "the service")
	request.Flags().StringVar(&req.Check, "check", "", "the check id")
	request.Flags().StringVar(&req.Reason, "reason", "", "why the check cannot pass now, and the plan")
	request.Flags().IntVar(&days, "days", 0, "how long the waiver lasts, in days (at most the policy's waiver_max_days)")
	cmd.AddCommand(request)
	for _, action := range []string{"approve", "deny", "revoke"} {
		var note string
		c := &cobra.Command{
			Use:   action + " ID",
			Short: map[string]string{"approve": "Approve a waiver (not your own; members of the check's owning team or admins)", "deny": "Deny a waiver request", "revoke": "End a waiver early"}[action],
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var w paved.Waiver
				if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/waivers/"+url.PathEscape(args[0])+"/"+action, map[string]string{"note": note}, &w); err != nil {
					return err
				}
				return a.printWaivers([]*paved.Waiver{&w})
			},
		}
		c.Flags().StringVar(&note, "note", "", "a note for the record")
		cmd.AddCommand(c)
	}
	var service, state string
	list := &cobra.Command{
		Use:   "list [--service S] [--state requested|approved|…]",
		Short: "List waivers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if service != "" {
				q.Set("service", service)
			}
			if state != "" {
				q.Set("state", state)
			}
			var out struct{ Items []*paved.Waiver }
			if err := client().do(cmd.Context(), http.MethodGet, "/api/v1/waivers?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			return a.printWaivers(out.Items)
		},
	}
	list.Flags().StringVar(&service, "service", "", "only this service")
	list.Flags().StringVar(&state, "state", "", "only waivers in this state")
	cmd.AddCommand(list)
	return cmd
}

func (a *app) printWaivers(ws []*paved.Waiver) error {
	if a.output == "json" {
		return a.printJSON(ws)
	}
	t := newTable(a.stdout)
	t.row("ID", "STATE", "SERVICE", "CHECK", "EXPIRES", "REQUESTED BY", "DECIDED BY", "REASON")
	for _, w := range ws {
		t.row(w.ID, w.State, w.Service, w.Check, w.ExpiresAt.Format(time.DateOnly), w.RequestedBy, dash(w.DecidedBy), w.Reason)
	}
	return t.flush()
}

func (a *app) approvalCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "approval", Short: "List, approve and deny deploys held for approval"}
	client := a.clientFlags(cmd)
	var state string
	list := &cobra.Command{
		Use:   "list [--state requested]",
		Short: "List approval requests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if state != "" {
				q.Set("state", state)
			}
			var out struct{ Items []*paved.Approval }
			if err := client().do(cmd.Context(), http.MethodGet, "/api/v1/approvals?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			return a.printApprovals(out.Items)
		},
	}
	list.Flags().StringVar(&state, "state", "requested", "only approvals in this state (empty: all)")
	cmd.AddCommand(list)
	for _, action := range []string{"approve", "deny"} {
		var note string
		c := &cobra.Command{
			Use:   action + " ID",
			Short: map[string]string{"approve": "Let the held deploy through (leaders of the owning team's chain or admins; not the requester)", "deny": "Refuse the held deploy"}[action],
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var ap paved.Approval
				if err := client().do(cmd.Context(), http.MethodPost, "/api/v1/approvals/"+url.PathEscape(args[0])+"/"+action, map[string]string{"note": note}, &ap); err != nil {
					return err
				}
				return a.printApprovals([]*paved.Approval{&ap})
			},
		}
		c.Flags().StringVar(&note, "note", "", "a note for the record")
		cmd.AddCommand(c)
	}
	return cmd
}

func (a *app) printApprovals(as []*paved.Approval) error {
	if a.output == "json" {
		return a.printJSON(as)
	}
	t := newTable(a.stdout)
	t.row("ID", "STATE", "SERVICE", "VERSION", "ENVIRONMENT", "REQUESTED BY", "DECIDED BY", "REASON")
	for _, ap := range as {
		t.row(ap.ID, ap.State, ap.Service, ap.Version, ap.Environment, ap.RequestedBy, dash(ap.DecidedBy), ap.Reason)
	}
	return t.flush()
}

func (a *app) auditCommand() *cobra.Command {
	var actor, action string
	var limit int
	cmd := &cobra.Command{
		Use:   "audit [--actor A] [--action X]",
		Short: "List the audit log: every write, who made it, when and from where (reads the database)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			p := &store.AuditListParams{Limit: limit}
			if actor != "" {
				if !strings.Contains(actor, ":") || strings.HasPrefix(actor, "user:") {
					actor = catalog.NormalizeRef(actor, "user")
				}
				p.Actor = &actor
			}
			if action != "" {
				p.Action = &action
			}
			entries, err := st.AuditList(cmd.Context(), p)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(entries)
			}
			t := newTable(a.stdout)
			t.row("AT", "ACTOR", "ACTION", "TARGET", "FROM", "DETAIL")
			for _, e := range entries {
				t.row(e.At.Format(time.DateTime), e.Actor, e.Action, e.Target, dash(e.Remote), dash(e.Detail))
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&actor, "actor", "", "only writes by this actor (user:NAME, ci:NAME, local:NAME)")
	cmd.Flags().StringVar(&action, "action", "", "only this action (waiver.approve, token.create, \"POST /api/v1/waivers\"…)")
	cmd.Flags().IntVar(&limit, "limit", 100, "entries to show, newest first")
	return cmd
}
