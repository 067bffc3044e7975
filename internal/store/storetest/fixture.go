package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// now is the time fixtures are stamped with: whole seconds in UTC, which
// both databases store exactly.
var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// EntityOpts sets the interesting fields of a fixture entity. Kind,
// Namespace and Name default to the parts of Ref; Tier defaults to unknown.
type EntityOpts struct {
	Ref         string // "component:default/name"; required
	Kind        string
	Name        string
	Title       string
	Description string
	Type        string
	Lifecycle   string
	Owner       string
	System      string
	Tier        *int
	Language    string
	Tags        []string
	Labels      map[string]string
	Annotations map[string]string
	Spec        map[string]any
	Location    paved.Location
	Inferred    bool
	Sources     map[string]string
	Links       []paved.Link
}

var kinds = map[string]string{
	"component": paved.KindComponent, "api": paved.KindAPI, "resource": paved.KindResource,
	"system": paved.KindSystem, "domain": paved.KindDomain, "group": paved.KindGroup,
	"user": paved.KindUser, "location": paved.KindLocation,
}

// Entity returns an entity with the fields of o. Its Repository is set when
// it is saved in a ScanResult.
func Entity(o EntityOpts) *paved.Entity {
	kind, rest, _ := strings.Cut(o.Ref, ":")
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		ns, name = "default", rest
	}
	e := &paved.Entity{
		Ref: o.Ref, Kind: kinds[kind], Namespace: ns, Name: name,
		Title: o.Title, Description: o.Description, Type: o.Type, Lifecycle: o.Lifecycle,
		Owner: o.Owner, System: o.System, Tier: paved.TierUnknown, Language: o.Language,
		Tags: o.Tags, Labels: o.Labels, Annotations: o.Annotations, Spec: o.Spec,
		Location: o.Location, Inferred: o.Inferred, FieldSources: o.Sources, Links: o.Links,
	}
	if o.Kind != "" {
		e.Kind = o.Kind
	}
	if o.Name != "" {
		e.Name = o.Name
	}
	if o.Tier != nil {
		e.Tier = *o.Tier
	}
	return e
}

// ResultOpts sets the interesting fields of a fixture scan result.
type ResultOpts struct {
	Name      string // repository name; required
	Head      string // defaults to "head-of-<name>"
	Failed    bool
	Error     string
	ScannedAt time.Time // defaults to now
	Entities  []*paved.Entity
	Facts     paved.Facts
	Problems  []paved.Problem
}

// Result returns a scan result for the repository o.Name whose entities are
// stamped with that repository, as a scanner would.
func Result(o ResultOpts) *store.ScanResult {
	r := &store.ScanResult{
		Repository: paved.Repository{
			Name: o.Name, Path: "/srv/git/" + o.Name + ".git", Source: "local",
			Head: o.Head, DefaultBranch: "main", ScannedAt: o.ScannedAt, Status: paved.RepositoryOK,
		},
		Failed: o.Failed, Entities: o.Entities, Facts: o.Facts, Problems: o.Problems,
	}
	if r.Repository.Head == "" && !o.Failed {
		r.Repository.Head = "head-of-" + o.Name
	}
	if r.Repository.ScannedAt.IsZero() {
		r.Repository.ScannedAt = now
	}
	if o.Failed {
		r.Repository.Status = paved.RepositoryFailed
		r.Repository.Error = o.Error
		if r.Repository.Error == "" {
			r.Repository.Error = "cannot read HEAD"
		}
	}
	for _, e := range r.Entities {
		e.Repository = o.Name
	}
	return r
}

// Fact returns a collected fact stamped now.
func Fact(namespace string, value any) paved.Fact {
	return paved.Fact{Namespace: namespace, Value: value, Source: namespace + " collector", CollectedAt: now}
}

func ptr[T any](v T) *T { return &v }

// save stores results in one batch and fails the test on error.
func save(t testing.TB, s store.Store, results ...*store.ScanResult) {
	t.Helper()
	if err := s.ScanResultSaveMany(context.Background(), results); err != nil {
		t.Fatalf("ScanResultSaveMany: %v", err)
	}
}

// resolve stores a catalog resolution and fails the test on error.
func resolve(t testing.TB, s store.Store, r *store.CatalogResolution) {
	t.Helper()
	if err := s.CatalogResolutionSave(context.Background(), r); err != nil {
		t.Fatalf("CatalogResolutionSave: %v", err)
	}
}

// equal fails the test unless got and want are deeply equal, showing both
// as JSON.
func equal(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got: %s\nwant: %s", what, js(got), js(want))
	}
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// refs returns the refs of entities, in order.
func refs(list []*paved.Entity) []string {
	out := []string{}
	for _, e := range list {
		out = append(out, e.Ref)
	}
	return out
}
