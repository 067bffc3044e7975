package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/auth"
	"github.com/paved-dev/paved/internal/feed"
	"github.com/paved-dev/paved/internal/jobs"
	"github.com/paved-dev/paved/internal/store"
)

// feedState is the process's feed publisher and the queue client it
// enqueues webhook deliveries with.
type feedState struct {
	pub   *feed.Publisher
	queue *jobs.Queue
}

// publisher returns the process's publisher: events go to feeds, their
// webhook deliveries to the job queue (an insert-only client, made on the
// first delivery), where serve and worker processes post them.
func (a *app) publisher(st store.Store) *feed.Publisher {
	if a.feed == nil {
		a.feed = &feedState{}
	}
	if a.feed.pub == nil {
		fs := a.feed
		fs.pub = &feed.Publisher{Store: st, Log: a.logger, Enqueue: func(ctx context.Context, ids []int64) error {
			if fs.queue == nil {
				q, err := jobs.New(st, nil, jobs.Options{Logger: a.logger})
				if err != nil {
					return err
				}
				fs.queue = q
			}
			return fs.queue.EnqueueDeliveries(ctx, ids)
		}}
	}
	return a.feed.pub
}

// deliverer posts webhook deliveries in serve and worker processes.
func (a *app) deliverer(st store.Store) *feed.Deliverer {
	return &feed.Deliverer{Store: st, Publisher: a.publisher(st), Log: a.logger}
}

// feedWho is who a feed command is for: a person (--user or the user of
// --token), a team or a service.
type feedWho struct{ user, token, team, service string }

func (w *feedWho) flags(cmd *cobra.Command, teams, services bool) {
	cmd.Flags().StringVar(&w.user, "user", "", "the person: user:default/NAME (or NAME)")
	cmd.Flags().StringVar(&w.token, "token", "", "an API token: act as its user (env PAVED_TOKEN)")
	if teams {
		cmd.Flags().StringVar(&w.team, "team", "", "a team (group name or ref)")
	}
	if services {
		cmd.Flags().StringVar(&w.service, "service", "", "a service (component name or ref)")
	}
}

// actor is the person the command acts as. Someone running paved on its
// host has the database, so a --user is trusted like a platform admin; a
// --token is checked and acts with its user's roles.
func (a *app) feedActor(ctx context.Context, st store.Store, w *feedWho) (*paved.Actor, error) {
	tok := w.token
	if tok == "" {
		tok = a.getenv("PAVED_TOKEN")
	}
	switch {
	case w.user != "":
		ref, err := feed.PersonRef(w.user)
		if err != nil {
			return nil, err
		}
		return &paved.Actor{Name: ref, Kind: "user", Admin: true}, nil
	case tok != "":
		actor, err := (&auth.Tokens{Store: st, Now: time.Now, Roles: &auth.Roles{Store: st, Admins: a.cfg.Admins}}).Authenticate(ctx, tok)
		if err != nil {
			return nil, err
		}
		if actor.Kind != "user" {
			return nil, paved.Errorf(paved.EFORBIDDEN, "feeds are for people: %s is a pipeline's token", actor.Name)
		}
		return actor, nil
	}
	return nil, usageError{errors.New("say who you are: --user user:default/NAME, or --token (PAVED_TOKEN) with a user token")}
}

func (a *app) feedCommand() *cobra.Command {
	var who feedWho
	var unread bool
	var limit int
	var before int64
	cmd := &cobra.Command{
		Use:   "feed",
		Short: "Your feed, a team's or a service's: only what applies to them, newest first",
		Long: `Feed shows what happened that applies to a person (the services of the
teams they belong to and what they subscribe to), to a team or to a
service, newest first, with unread items marked •. See docs/feed.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			var audience string
			switch {
			case who.team != "":
				audience, err = feed.TeamRef(ctx, st, who.team)
			case who.service != "":
				audience, err = feed.ServiceRef(ctx, st, who.service)
			default:
				var actor *paved.Actor
				if actor, err = a.feedActor(ctx, st, &who); err == nil {
					audience = actor.Name
				}
			}
			if err != nil {
				return err
			}
			items, err := st.FeedList(ctx, &store.FeedListParams{Audience: audience, Unread: unread, BeforeID: before, Limit: limit})
			if err != nil {
				return err
			}
			n, err := st.FeedUnread(ctx, audience)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"feed": audience, "items": items, "unread": n})
			}
			// Read state and reasons are a person's; a team or service feed
			// is read by many.
			personal := strings.HasPrefix(audience, "user:")
			if personal {
				fmt.Fprintf(a.stdout, "%s: %d unread\n", audience, n)
			} else {
				fmt.Fprintf(a.stdout, "%s\n", audience)
			}
			if len(items) == 0 {
				fmt.Fprintln(a.stdout, "\nnothing yet")
			}
			for _, it := range items {
				mark := " "
				if it.ReadAt == nil && personal {
					mark = "•"
				}
				fmt.Fprintf(a.stdout, "\n%s %d  %s  %s\n  %s\n", mark, it.ID, it.At.Format("2006-01-02 15:04"), it.Kind, it.Title)
				if it.Reason != "" && personal {
					fmt.Fprintf(a.stdout, "  (%s)\n", it.Reason)
				}
			}
			return nil
		},
	}
	who.flags(cmd, true, true)
	cmd.Flags().BoolVar(&unread, "unread", false, "only unread items")
	cmd.Flags().IntVar(&limit, "limit", 20, "items to show")
	cmd.Flags().Int64Var(&before, "before", 0, "show items older than this event id")
	cmd.AddCommand(a.feedReadCommand(), a.feedSubscribeCommand(), a.feedUnsubscribeCommand(), a.feedSubscriptionsCommand(),
		a.feedWebhooksCommand(), a.feedDeliveriesCommand(), a.feedDigestCommand())
	return cmd
}

func (a *app) feedReadCommand() *cobra.Command {
	var who feedWho
	cmd := &cobra.Command{
		Use:   "read [EVENT_ID...]",
		Short: "Mark items of your feed read: those named, or all",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.feedActor(ctx, st, &who)
			if err != nil {
				return err
			}
			var ids []int64
			for _, s := range args {
				id, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return usageError{fmt.Errorf("event id %q must be a number", s)}
				}
				ids = append(ids, id)
			}
			n, err := st.FeedMarkRead(ctx, &store.FeedMarkReadParams{Audience: actor.Name, Events: ids, At: time.Now().UTC()})
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(map[string]int{"marked": n})
			}
			fmt.Fprintf(a.stdout, "%d marked read\n", n)
			return nil
		},
	}
	who.flags(cmd, false, false)
	return cmd
}

const subscribeKinds = "service, team, check or campaign"

func (a *app) feedSubscribeCommand() *cobra.Command {
	var who feedWho
	cmd := &cobra.Command{
		Use:   "subscribe KIND TARGET",
		Short: "Follow a service, team, check or campaign: its events reach your feed",
		Example: `  paved feed subscribe service checkout --user jane
  paved feed subscribe check dockerfile-nonroot --user jane`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.feedActor(ctx, st, &who)
			if err != nil {
				return err
			}
			sub, err := feed.Subscribe(ctx, st, actor.Name, args[0], args[1], time.Now())
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(sub)
			}
			fmt.Fprintf(a.stdout, "%s follows %s %s (subscription %d)\n", sub.Subscriber, sub.Kind, sub.Target, sub.ID)
			return nil
		},
	}
	who.flags(cmd, false, false)
	return cmd
}

func (a *app) feedUnsubscribeCommand() *cobra.Command {
	var who feedWho
	cmd := &cobra.Command{
		Use:   "unsubscribe KIND TARGET | ID",
		Short: "Stop following something",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.feedActor(ctx, st, &who)
			if err != nil {
				return err
			}
			var id int64
			kind, target := "", ""
			if len(args) == 1 {
				if id, err = strconv.ParseInt(args[0], 10, 64); err != nil {
					return usageError{fmt.Errorf("give KIND TARGET (%s) or a subscription id", subscribeKinds)}
				}
			} else {
				kind, target = args[0], args[1]
			}
			if err := feed.Unsubscribe(ctx, st, nil, actor.Name, id, kind, target); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "unsubscribed")
			return nil
		},
	}
	who.flags(cmd, false, false)
	return cmd
}

func (a *app) feedSubscriptionsCommand() *cobra.Command {
	var who feedWho
	cmd := &cobra.Command{
		Use:   "subscriptions",
		Short: "List what you follow",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.feedActor(ctx, st, &who)
			if err != nil {
				return err
			}
			subs, err := st.SubscriptionList(ctx, &store.SubscriptionListParams{Subscriber: &actor.Name})
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(subs)
			}
			t := newTable(a.stdout)
			t.row("ID", "KIND", "TARGET", "SINCE")
			for _, s := range subs {
				t.row(s.ID, s.Kind, s.Target, s.CreatedAt.Format(time.DateOnly))
			}
			return t.flush()
		},
	}
	who.flags(cmd, false, false)
	return cmd
}

func (a *app) feedWebhooksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Webhooks of a team or a person: signed JSON posts of their events (Slack-compatible)",
	}
	var who feedWho
	var req feed.WebhookRequest
	create := &cobra.Command{
		Use:   "create --url URL (--team T | --user U) [--kind K --target X] [--events KIND,…]",
		Short: "Create a webhook; its signing secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			req.Team = who.team
			actor, err := a.webhookActor(ctx, st, &who)
			if err != nil {
				return err
			}
			h, secret, err := feed.CreateWebhook(ctx, st, actor, req, time.Now())
			if err != nil {
				return err
			}
			if err := a.audit(ctx, st, "webhook.create", fmt.Sprintf("webhook %d", h.ID), fmt.Sprintf("owner %s, follows %s %s, url %s", h.Owner, h.Kind, h.Target, h.URL)); err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"webhook": h, "secret": secret})
			}
			fmt.Fprintln(a.stdout, secret)
			fmt.Fprintf(a.stderr, "webhook %d of %s posts %s %s events to %s — store the secret now to verify the %s header: it cannot be shown again\n",
				h.ID, h.Owner, h.Kind, h.Target, h.URL, feed.SignatureHeader)
			return nil
		},
	}
	who.flags(create, true, false)
	create.Flags().StringVar(&req.URL, "url", "", "where to post (http or https)")
	create.Flags().StringVar(&req.Kind, "kind", "", "what it follows: "+subscribeKinds+" (default: the team)")
	create.Flags().StringVar(&req.Target, "target", "", "the service, team, check or campaign it follows")
	create.Flags().StringSliceVar(&req.Kinds, "events", nil, "only these event kinds (default: all)")
	_ = create.MarkFlagRequired("url")

	var listWho feedWho
	list := &cobra.Command{
		Use:   "list (--team T | --user U)",
		Short: "List webhooks (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.webhookActor(ctx, st, &listWho)
			if err != nil {
				return err
			}
			hooks, err := feed.Webhooks(ctx, st, actor, listWho.team)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(hooks)
			}
			t := newTable(a.stdout)
			t.row("ID", "OWNER", "FOLLOWS", "URL", "EVENTS", "CREATED BY")
			for _, h := range hooks {
				t.row(h.ID, h.Owner, h.Kind+" "+h.Target, h.URL, dash(strings.Join(h.Kinds, ",")), h.CreatedBy)
			}
			return t.flush()
		},
	}
	listWho.flags(list, true, false)

	var delWho feedWho
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a webhook and its deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("webhook id %q must be a number (see paved feed webhooks list)", args[0])}
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.webhookActor(ctx, st, &delWho)
			if err != nil {
				return err
			}
			if err := feed.DeleteWebhook(ctx, st, actor, id); err != nil {
				return err
			}
			if err := a.audit(ctx, st, "webhook.delete", fmt.Sprintf("webhook %d", id), ""); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "webhook %d deleted\n", id)
			return nil
		},
	}
	delWho.flags(del, false, false)
	cmd.AddCommand(create, list, del)
	return cmd
}

// webhookActor is feedActor, except that a team's webhooks may be managed
// from the paved host without naming a person.
func (a *app) webhookActor(ctx context.Context, st store.Store, w *feedWho) (*paved.Actor, error) {
	if w.user == "" && w.token == "" && a.getenv("PAVED_TOKEN") == "" && w.team != "" {
		return &paved.Actor{Name: "local:" + cmp.Or(a.getenv("USER"), "unknown"), Kind: "local", Admin: true}, nil
	}
	return a.feedActor(ctx, st, w)
}

func (a *app) feedDeliveriesCommand() *cobra.Command {
	var who feedWho
	var state string
	var limit int
	cmd := &cobra.Command{
		Use:   "deliveries (--team T | --user U) [--state dead]",
		Short: "Webhook deliveries of a team or a person, dead-lettered ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.webhookActor(ctx, st, &who)
			if err != nil {
				return err
			}
			ds, err := feed.Deliveries(ctx, st, actor, who.team, state, limit)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(ds)
			}
			t := newTable(a.stdout)
			t.row("ID", "WEBHOOK", "EVENT", "STATE", "ATTEMPTS", "LAST STATUS", "UPDATED", "LAST ERROR")
			for _, d := range ds {
				t.row(d.ID, d.Webhook, d.Event, d.State, d.Attempts, dash(strconv.Itoa(d.LastStatus)), d.UpdatedAt.Format("2006-01-02 15:04"), dash(d.LastError))
			}
			return t.flush()
		},
	}
	who.flags(cmd, true, false)
	cmd.Flags().StringVar(&state, "state", "", "only deliveries in this state: pending, retrying, delivered or dead")
	cmd.Flags().IntVar(&limit, "limit", 50, "deliveries to show")
	return cmd
}

func (a *app) feedDigestCommand() *cobra.Command {
	var who feedWho
	var day string
	cmd := &cobra.Command{
		Use:   "digest",
		Short: "What happened in your feed on a day, grouped: what needs action first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			actor, err := a.feedActor(ctx, st, &who)
			if err != nil {
				return err
			}
			d := time.Now().UTC()
			if day != "" {
				if d, err = time.Parse(time.DateOnly, day); err != nil {
					return usageError{fmt.Errorf("--day %q must be YYYY-MM-DD", day)}
				}
			}
			dg, err := feed.BuildDigest(ctx, st, actor.Name, d)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(dg)
			}
			fmt.Fprint(a.stdout, dg.Text())
			return nil
		},
	}
	who.flags(cmd, false, false)
	cmd.Flags().StringVar(&day, "day", "", "the day, YYYY-MM-DD (default: today, UTC)")
	return cmd
}
