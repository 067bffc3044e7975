package main

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/catalog"
	"github.com/paved-dev/paved/internal/server"
	"github.com/paved-dev/paved/internal/store"
)

func (a *app) catalogCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "catalog", Short: "List and inspect catalog entities"}
	cmd.AddCommand(a.catalogListCommand(), a.catalogShowCommand(), a.catalogErrorsCommand(), a.catalogFacetsCommand())
	return cmd
}

// filterFlags registers the catalog filters with the API's parameter names.
func filterFlags(cmd *cobra.Command) map[string]*string {
	f := map[string]*string{}
	for _, name := range []string{"kind", "type", "lifecycle", "owner", "org", "language", "tier", "level", "q", "sort", "limit", "offset"} {
		f[name] = new(string)
	}
	fl := cmd.Flags()
	fl.StringVar(f["kind"], "kind", "", "entity kind (component, api, group, user, …)")
	fl.StringVar(f["type"], "type", "", "spec.type (service, library, …)")
	fl.StringVar(f["lifecycle"], "lifecycle", "", "spec.lifecycle")
	fl.StringVar(f["owner"], "owner", "", "owning group (name or ref)")
	fl.StringVar(f["org"], "org", "", "org node: entities owned by this group or any group below it")
	fl.StringVar(f["language"], "language", "", "primary language")
	fl.StringVar(f["tier"], "tier", "", "tier 0–3")
	fl.StringVar(f["level"], "level", "", "scorecard level (none: graded, below the first level)")
	fl.StringVarP(f["q"], "query", "q", "", "substring of name, title or description")
	fl.StringVar(f["sort"], "sort", "", "name, -name, owner, kind or tier")
	fl.StringVar(f["limit"], "limit", "100", "page size (max 1000)")
	fl.StringVar(f["offset"], "offset", "", "entities to skip")
	return f
}

func listParams(f map[string]*string) (*store.EntityListParams, error) {
	q := url.Values{}
	for k, v := range f {
		if *v != "" {
			q.Set(k, *v)
		}
	}
	p, err := server.ParseEntityListParams(q)
	if err != nil {
		return nil, usageError{err}
	}
	return p, nil
}

// openFiltered parses the catalog filter flags, then opens the store.
func (a *app) openFiltered(cmd *cobra.Command, f map[string]*string) (store.Store, *store.EntityListParams, error) {
	p, err := listParams(f)
	if err != nil {
		return nil, nil, err
	}
	st, err := a.openStore(cmd.Context())
	return st, p, err
}

func (a *app) catalogListCommand() *cobra.Command {
	var f map[string]*string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List entities, filtered and sorted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, p, err := a.openFiltered(cmd, f)
			if err != nil {
				return err
			}
			items, total, err := st.EntityList(cmd.Context(), p)
			if err != nil {
				return err
			}
			if a.output == "json" {
				if items == nil {
					items = []*paved.Entity{}
				}
				return a.printJSON(server.EntityListResponse{Items: items, Total: total, Offset: p.Offset, Limit: p.Limit})
			}
			t := newTable(a.stdout)
			t.row("REF", "TYPE", "OWNER", "LIFECYCLE", "TIER", "LANGUAGE")
			for _, e := range items {
				t.row(e.Ref, dash(e.Type), dash(e.Owner), dash(e.Lifecycle), tier(e.Tier), dash(e.Language))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d of %d\n", len(items), total)
			return nil
		},
	}
	f = filterFlags(cmd)
	return cmd
}

func (a *app) catalogFacetsCommand() *cobra.Command {
	var f map[string]*string
	cmd := &cobra.Command{
		Use:   "facets",
		Short: "Count entities by kind, type, lifecycle, owner, language, tier and level",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, p, err := a.openFiltered(cmd, f)
			if err != nil {
				return err
			}
			facets, err := st.EntityFacets(cmd.Context(), p)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(facets)
			}
			for _, field := range store.FacetFields {
				fmt.Fprintf(a.stdout, "%s:\n", field)
				for i, c := range facets[field] {
					if i == 15 {
						fmt.Fprintf(a.stdout, "  … %d more\n", len(facets[field])-15)
						break
					}
					fmt.Fprintf(a.stdout, "  %-40s %d\n", dash(c.Value), c.Count)
				}
			}
			return nil
		},
	}
	f = filterFlags(cmd)
	return cmd
}

func (a *app) catalogShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show REF",
		Short: "Show one entity: fields with their sources, relations, facts and problems",
		Long:  "REF is an entity reference such as payments-api (a component), group:team-payments or component:default/payments-api.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			ref := catalog.NormalizeRef(args[0], paved.KindComponent)
			e, err := st.EntityGet(ctx, ref)
			if errors.Is(err, store.ErrNotFound) {
				return paved.Errorf(paved.ENOTFOUND, "no entity %s in the catalog (try: paved catalog list -q %s)", ref, paved.RefName(ref))
			} else if err != nil {
				return err
			}
			var facts paved.Facts
			if e.Kind == paved.KindComponent {
				if facts, err = st.FactsGet(ctx, ref); err != nil {
					return err
				}
			}
			problems, _, err := st.ProblemList(ctx, &store.ProblemListParams{Entity: &ref})
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(map[string]any{"entity": e, "facts": facts, "problems": problems})
			}
			w := a.stdout
			fmt.Fprintf(w, "%s\n", e.Ref)
			field := func(name, value string) {
				if value == "" {
					return
				}
				if src := e.FieldSources[name]; src != "" {
					value += "  (" + src + ")"
				}
				fmt.Fprintf(w, "  %-12s %s\n", name+":", value)
			}
			field("title", e.Title)
			field("type", e.Type)
			field("lifecycle", e.Lifecycle)
			field("owner", e.Owner)
			field("system", e.System)
			field("tier", tier(e.Tier))
			field("language", e.Language)
			field("repository", e.Repository)
			field("location", e.Location.String())
			if len(e.Relations) > 0 {
				fmt.Fprintln(w, "relations:")
				for _, r := range e.Relations {
					fmt.Fprintf(w, "  %-14s %s\n", r.Type, r.Target)
				}
			}
			if len(facts) > 0 {
				fmt.Fprintln(w, "facts:")
				names := make([]string, 0, len(facts))
				for n := range facts {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					fmt.Fprintf(w, "  %-12s from %s\n", n, facts[n].Source)
				}
			}
			if len(problems) > 0 {
				fmt.Fprintln(w, "problems:")
				for _, p := range problems {
					fmt.Fprintf(w, "  %s\n", formatProblem(*p))
				}
			}
			return nil
		},
	}
}

func (a *app) catalogErrorsCommand() *cobra.Command {
	var repo, code string
	cmd := &cobra.Command{
		Use:   "errors",
		Short: "List catalog problems: malformed descriptors, unknown references, duplicates, org cycles, unreadable repositories",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			p := &store.ProblemListParams{}
			if repo != "" {
				p.Repository = &repo
			}
			if code != "" {
				p.Code = &code
			}
			items, total, err := st.ProblemList(cmd.Context(), p)
			if err != nil {
				return err
			}
			if a.output == "json" {
				if items == nil {
					items = []*paved.Problem{}
				}
				return a.printJSON(map[string]any{"items": items, "total": total})
			}
			for _, p := range items {
				fmt.Fprintln(a.stdout, formatProblem(*p))
			}
			fmt.Fprintf(a.stdout, "%d problems\n", total)
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", "", "only this repository")
	cmd.Flags().StringVar(&code, "code", "", "only this problem code (yaml-syntax, descriptor-invalid, unknown-ref, duplicate-entity, org-cycle, …)")
	return cmd
}

func (a *app) orgCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "The org tree: groups, leaders and what they own"}
	var node string
	tree := &cobra.Command{
		Use:   "tree",
		Short: "Print the org tree with leaders and component counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			view, err := catalog.LoadOrgTree(cmd.Context(), st)
			if err != nil {
				return err
			}
			roots := view.Roots
			if node != "" {
				n := view.Find(catalog.NormalizeRef(node, paved.KindGroup))
				if n == nil {
					return paved.Errorf(paved.ENOTFOUND, "no group %s in the org tree", node)
				}
				roots = []*catalog.OrgNode{n}
			}
			if a.output == "json" {
				return a.printJSON(roots)
			}
			var walk func(n *catalog.OrgNode, indent string)
			walk = func(n *catalog.OrgNode, indent string) {
				leader := ""
				if n.Leader != "" {
					leader = " · leader " + paved.RefName(n.Leader)
				}
				fmt.Fprintf(a.stdout, "%s%s (%s)%s · %d components\n", indent, n.Name, n.Type, leader, n.TotalServices)
				for _, c := range n.Children {
					walk(c, indent+"  ")
				}
			}
			for _, r := range roots {
				walk(r, "")
			}
			return nil
		},
	}
	tree.Flags().StringVar(&node, "node", "", "print only the subtree of this group")
	cmd.AddCommand(tree)
	return cmd
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func tier(t int) string {
	if t == paved.TierUnknown {
		return "-"
	}
	return fmt.Sprint(t)
}
